package archive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"hive/events"
)

// ErrPayloadMismatch: an NDJSON line's readable payload is not what its
// payload_base64 shows.
var ErrPayloadMismatch = errors.New("payload differs from payload_base64")

// shownValueMax bounds a value quoted in a mismatch error.
const shownValueMax = 80

// checkPayload returns an ErrPayloadMismatch error naming e and where they
// differ, unless shown, the readable payload of e's line (nil if the line
// has none), is the JSON value the writer renders from e's payload bytes
// (appendPayload). The comparison is of JSON values: key order, spacing
// and number spelling do not matter. buf is scratch space, returned for
// reuse.
func checkPayload(shown json.RawMessage, e *events.Envelope, buf []byte) ([]byte, error) {
	buf, err := appendPayload(buf[:0], e)
	if err != nil {
		return buf, err
	}
	if bytes.Equal(shown, buf) {
		return buf, nil
	}
	where := "the line has no payload"
	if shown != nil {
		if key, err := duplicateKey(shown); err != nil || key != "" {
			if err != nil {
				return buf, fmt.Errorf("payload: %w", err)
			}
			return buf, fmt.Errorf("stream %q version %d, event %s: %w: the line shows the key %q twice in one object", e.Stream, e.Version, e.ID, ErrPayloadMismatch, key)
		}
		var got, want any
		if err := errors.Join(json.Unmarshal(shown, &got), json.Unmarshal(buf, &want)); err != nil {
			return buf, fmt.Errorf("payload: %w", err)
		}
		var same bool
		if where, same = difference("payload", got, want); same {
			return buf, nil
		}
	}
	return buf, fmt.Errorf("stream %q version %d, event %s: %w: %s", e.Stream, e.Version, e.ID, ErrPayloadMismatch, where)
}

// difference compares the JSON values got (the line's) and want (the
// bytes'), found at path, and describes the first place they differ, or
// reports that they are the same.
func difference(path string, got, want any) (string, bool) {
	if g, ok := got.(map[string]any); ok {
		if w, ok := want.(map[string]any); ok {
			return objectDifference(path, g, w)
		}
	}
	if g, ok := got.([]any); ok {
		if w, ok := want.([]any); ok && len(g) == len(w) {
			for i := range g {
				if where, same := difference(path+"["+strconv.Itoa(i)+"]", g[i], w[i]); !same {
					return where, false
				}
			}
			return "", true
		}
	}
	switch got.(type) {
	case map[string]any, []any:
	default:
		if got == want {
			return "", true
		}
	}
	return fmt.Sprintf("at %s the line shows %s, the bytes %s", path, shownValue(got, true), shownValue(want, true)), false
}

// objectDifference is difference for two objects, key by key in order.
func objectDifference(path string, got, want map[string]any) (string, bool) {
	union := maps.Clone(got)
	maps.Copy(union, want)
	for _, k := range slices.Sorted(maps.Keys(union)) {
		g, inGot := got[k]
		w, inWant := want[k]
		at := path + "." + k
		if !inGot || !inWant {
			return fmt.Sprintf("at %s the line shows %s, the bytes %s", at, shownValue(g, inGot), shownValue(w, inWant)), false
		}
		if where, same := difference(at, g, w); !same {
			return where, false
		}
	}
	return "", true
}

// shownValue is v as compact JSON, shortened, or "nothing" if absent.
func shownValue(v any, present bool) string {
	if !present {
		return "nothing"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	s := strings.TrimSuffix(b.String(), "\n")
	if len(s) <= shownValueMax {
		return s
	}
	cut := shownValueMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// duplicateKey returns a key that an object in the JSON value v holds
// twice, or "" if none does. A decoder keeps only the last of them, which
// a person reading the value may not.
func duplicateKey(v []byte) (string, error) {
	type object struct {
		keys    map[string]bool
		wantKey bool
	}
	var open []*object // nil for an array
	dec := json.NewDecoder(bytes.NewReader(v))
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			return "", nil
		}
		if err != nil {
			return "", err
		}
		var top *object
		if len(open) > 0 {
			top = open[len(open)-1]
		}
		switch tok {
		case json.Delim('{'):
			open = append(open, &object{keys: map[string]bool{}, wantKey: true})
			continue
		case json.Delim('['):
			open = append(open, nil)
			continue
		case json.Delim('}'), json.Delim(']'):
			open = open[:len(open)-1]
			if len(open) > 0 && open[len(open)-1] != nil {
				open[len(open)-1].wantKey = true
			}
			continue
		}
		if top == nil {
			continue
		}
		if !top.wantKey {
			top.wantKey = true
			continue
		}
		key, _ := tok.(string) // the decoder gives an object's keys as strings
		if top.keys[key] {
			return key, nil
		}
		top.keys[key], top.wantKey = true, false
	}
}
