package archive_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"hive/events/archive"
)

// TestReadablePayloadIsChecked edits the readable payload of NDJSON lines
// (which the hash chain does not cover): every reader refuses a line whose
// payload is not what its payload_base64 shows, naming the line, the event
// and where they differ, while key order and spacing do not matter.
func TestReadablePayloadIsChecked(t *testing.T) {
	log := history(t)
	lines := strings.SplitAfter(strings.TrimSuffix(string(write(t, archive.NDJSON, log)), "\n"), "\n")
	cases := []struct {
		name string
		line int // 1-based
		edit func(p any) any
		want string // "" for an archive that must pass
	}{
		{name: "unchanged, keys reordered and spaced", line: 1, edit: func(p any) any { return p }},
		{name: "a name edited", line: 1, edit: set("name", "mallory"),
			want: `line 1: stream "agent-0" version 1, event ` + log[0].ID.String() + `: payload differs from payload_base64: at payload.name the line shows "mallory", the bytes "n\"é\n"`},
		{name: "a field added", line: 1, edit: set("maxConcurrency", 9),
			want: `line 1: stream "agent-0" version 1, event ` + log[0].ID.String() + `: payload differs from payload_base64: at payload.maxConcurrency the line shows 9, the bytes nothing`},
		{name: "a field removed", line: 2, edit: del("maxConcurrency"),
			want: `at payload.maxConcurrency the line shows nothing, the bytes 1`},
		{name: "a list item changed", line: 3, edit: set("capabilities", []any{"code", "admin"}),
			want: `line 3: stream "agent-2" version 1, event ` + log[2].ID.String() + `: payload differs from payload_base64: at payload.capabilities the line shows ["code","admin"], the bytes ["code"]`},
		{name: "a known type's payload null", line: 4, edit: func(any) any { return nil },
			want: `at payload the line shows null, the bytes {"agentId":"agent-0"`},
		{name: "an unknown type's payload shown", line: 5, edit: func(any) any { return map[string]any{"agentId": "agent-1"} },
			want: `line 5: stream "agent-1" version 2, event ` + log[4].ID.String() + `: payload differs from payload_base64: at payload the line shows {"agentId":"agent-1"}, the bytes null`},
		{name: "an empty payload shown as something", line: 6, edit: set("agentId", "agent-2"),
			want: `at payload.agentId the line shows "agent-2", the bytes nothing`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			edited := append([]string(nil), lines...)
			edited[tc.line-1] = editPayload(t, lines[tc.line-1], tc.edit)
			raw := []byte(strings.Join(edited, ""))
			_, _, err := readAll(t, raw)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("read: %v, want it accepted", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, archive.ErrPayloadMismatch) {
				t.Fatalf("read = %v, want ErrPayloadMismatch: ...%s...", err, tc.want)
			}
			var re *archive.RecordError
			if !errors.As(err, &re) || re.Record != tc.line {
				t.Errorf("read = %v, want a RecordError at line %d", err, tc.line)
			}
			r, f, err := archive.NewReader(strings.NewReader(string(raw)))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := archive.Verify(r, f); !errors.Is(err, archive.ErrPayloadMismatch) || got.Events != tc.line-1 {
				t.Errorf("Verify = %+v, %v; want ErrPayloadMismatch after %d events", got, err, tc.line-1)
			}
		})
	}
}

// TestAnNDJSONLineWithoutPayloadIsRefused: export writes a payload on
// every line (null for an unknown type), so a line without one is not an
// archive's.
func TestAnNDJSONLineWithoutPayloadIsRefused(t *testing.T) {
	lines := strings.SplitAfter(string(write(t, archive.NDJSON, history(t)[:2])), "\n")
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(lines[1]), &fields); err != nil {
		t.Fatal(err)
	}
	delete(fields, "payload")
	line, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = readAll(t, []byte(lines[0]+string(line)+"\n"+lines[2]))
	if !errors.Is(err, archive.ErrPayloadMismatch) || !strings.Contains(err.Error(), "line 2: ") || !strings.Contains(err.Error(), "the line has no payload") {
		t.Fatalf("read = %v, want line 2 refused for its missing payload", err)
	}
}

// set returns an edit that sets the payload object's key to v.
func set(key string, v any) func(any) any {
	return func(p any) any {
		m, _ := p.(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		m[key] = v
		return m
	}
}

// del returns an edit that deletes key from the payload object.
func del(key string) func(any) any {
	return func(p any) any {
		delete(p.(map[string]any), key)
		return p
	}
}

// editPayload rewrites an NDJSON line with its payload replaced by
// edit(payload); the line's keys come out in another order, with spaces.
func editPayload(t *testing.T, line string, edit func(any) any) string {
	t.Helper()
	var fields map[string]any
	if err := json.Unmarshal([]byte(line), &fields); err != nil {
		t.Fatal(err)
	}
	fields["payload"] = edit(fields["payload"])
	out, err := json.MarshalIndent(fields, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(out), "\n", "") + "\n"
}

// TestADuplicateKeyInTheReadablePayloadIsRefused: a payload object that
// shows a key twice, once as a person would read it and once as the bytes
// have it, is refused, although a JSON decoder keeps only the last value.
func TestADuplicateKeyInTheReadablePayloadIsRefused(t *testing.T) {
	log := history(t)
	lines := strings.SplitAfter(string(write(t, archive.NDJSON, log[:2])), "\n")
	i := strings.Index(lines[0], `"payload":{`)
	if i < 0 {
		t.Fatalf("no payload object in %s", lines[0])
	}
	at := i + len(`"payload":{`)
	edited := lines[0][:at] + `"name":"mallory",` + lines[0][at:]
	_, _, err := readAll(t, []byte(edited+lines[1]+lines[2]))
	if !errors.Is(err, archive.ErrPayloadMismatch) || !strings.Contains(err.Error(), "line 1: ") || !strings.Contains(err.Error(), `"name"`) {
		t.Fatalf("read = %v, want line 1 refused for its key name shown twice", err)
	}
}

// TestALineWithAFieldShownTwiceIsRefused: a line that names one of its
// fields twice, the same or in another case (a JSON decoder matches
// field names without regard to case and keeps the last value), is
// refused, so that what a person reads first is not what was read.
func TestALineWithAFieldShownTwiceIsRefused(t *testing.T) {
	log := history(t)
	lines := strings.SplitAfter(string(write(t, archive.NDJSON, log[:2])), "\n")
	for _, key := range []string{"payload", "Payload", "STREAM"} {
		edited := `{"` + key + `":{"name":"mallory"},` + lines[0][1:]
		_, _, err := readAll(t, []byte(edited+lines[1]+lines[2]))
		if !errors.Is(err, archive.ErrBadField) || !strings.Contains(err.Error(), "line 1: ") || !strings.Contains(err.Error(), key) {
			t.Errorf("a line showing %q besides its own fields: read = %v, want line 1 refused naming it", key, err)
		}
	}
}
