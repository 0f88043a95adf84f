package archive_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protowire"

	"hive/events"
	"hive/events/archive"
	hivev1 "hive/proto/hive/v1"
)

// history is a chained log of three streams, with Hive payloads, an
// unknown type, an empty payload and metadata that needs escaping.
func history(t *testing.T) []events.Envelope {
	t.Helper()
	var log []events.Envelope
	prev := map[string]events.Envelope{}
	for i := range 12 {
		stream := fmt.Sprintf("agent-%d", i%3)
		typ, payload, err := events.Encode(&hivev1.AgentRegistered{AgentId: stream, Name: "n\"é\n", Capabilities: []string{"code"}, MaxConcurrency: uint32(i)})
		if err != nil {
			t.Fatal(err)
		}
		switch i {
		case 4:
			typ, payload = "test.Unknown", []byte{0, 1, 2, 0xff}
		case 5:
			payload = nil
		}
		e := events.Envelope{
			ID: uuid.New(), Stream: stream, Version: prev[stream].Version + 1, Position: uint64(i + 1),
			Type: typ, RecordedAt: time.Unix(1_700_000_000, int64(i)*1_234_567).UTC(), SchemaVersion: 1, Payload: payload,
			Metadata: events.Metadata{CorrelationID: "corr\t1", CausationID: fmt.Sprint(i), Principal: "token:ädmin"},
		}
		e.Hash = events.ChainHash(prev[stream].Hash, &e)
		prev[stream] = e
		log = append(log, e)
	}
	return log
}

func write(t *testing.T, f archive.Format, log []events.Envelope) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := archive.NewWriter(&buf, f)
	if err != nil {
		t.Fatal(err)
	}
	for i := range log {
		if err := w.Write(&log[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func readAll(t *testing.T, raw []byte) ([]events.Envelope, archive.Format, error) {
	t.Helper()
	r, f, err := archive.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Envelope
	for {
		var e events.Envelope
		err := r.Next(&e)
		if errors.Is(err, io.EOF) {
			return out, f, nil
		}
		if err != nil {
			return out, f, err
		}
		out = append(out, e)
	}
}

func same(a, b events.Envelope) bool {
	return a.ID == b.ID && a.Stream == b.Stream && a.Version == b.Version && a.Position == b.Position &&
		a.Type == b.Type && a.RecordedAt.Equal(b.RecordedAt) && a.SchemaVersion == b.SchemaVersion &&
		bytes.Equal(a.Payload, b.Payload) && a.Metadata == b.Metadata && a.Hash == b.Hash
}

func TestRoundTrip(t *testing.T) {
	for _, f := range []archive.Format{archive.NDJSON, archive.Binary} {
		t.Run(string(f), func(t *testing.T) {
			want := history(t)
			raw := write(t, f, want)
			got, format, err := readAll(t, raw)
			if err != nil || format != f {
				t.Fatalf("read back: %v (format %s)", err, format)
			}
			if len(got) != len(want) {
				t.Fatalf("read back %d events, want %d", len(got), len(want))
			}
			for i := range want {
				if !same(got[i], want[i]) {
					t.Errorf("event %d: got %+v, want %+v", i+1, got[i], want[i])
				}
			}
			r, _, _ := archive.NewReader(bytes.NewReader(raw))
			if got, err := archive.Verify(r, f); err != nil || got != (archive.Summary{Events: len(want), Streams: 3, FirstPosition: 1, LastPosition: 12}) {
				t.Errorf("Verify = %+v, %v; want %d events in 3 streams, positions 1 to 12", got, err, len(want))
			}
		})
	}
}

func TestNDJSONIsReadable(t *testing.T) {
	lines := strings.Split(strings.TrimSuffix(string(write(t, archive.NDJSON, history(t))), "\n"), "\n")
	if len(lines) != 13 {
		t.Fatalf("%d lines, want one per event and the trailer", len(lines))
	}
	if !strings.HasPrefix(lines[12], `{"trailer":{"events":12,"last_position":12,"digest":"`) {
		t.Errorf("the last line is no trailer: %s", lines[12])
	}
	for _, want := range []string{`"payload":{"agentId":"agent-0"`, `"payload_base64":"CgdhZ2VudC0w`, `"correlation_id":"corr\u0009`} {
		if !strings.Contains(lines[0], want) {
			t.Errorf("line 1 lacks %s: %s", want, lines[0])
		}
	}
	if !strings.Contains(lines[4], `"payload":null`) {
		t.Errorf("an unknown type's payload is not null: %s", lines[4])
	}
}

func TestVerifyNamesTheBadRecord(t *testing.T) {
	log := history(t)
	log[6].Payload = append([]byte(nil), log[6].Payload...)
	log[6].Payload[len(log[6].Payload)-1] ^= 1 // max_concurrency 6 → 7: still a valid payload
	cases := []struct {
		format archive.Format
		want   string
	}{
		{archive.NDJSON, "line 7: stream \"agent-0\" version 3"},
		{archive.Binary, "record 7: stream \"agent-0\" version 3"},
	}
	for _, tc := range cases {
		t.Run(string(tc.format), func(t *testing.T) {
			r, f, err := archive.NewReader(bytes.NewReader(write(t, tc.format, log)))
			if err != nil {
				t.Fatal(err)
			}
			_, err = archive.Verify(r, f)
			var re *archive.RecordError
			if !errors.As(err, &re) || re.Record != 7 || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Verify = %v, want %s...", err, tc.want)
			}
		})
	}
}

func TestMalformedArchives(t *testing.T) {
	good := write(t, archive.NDJSON, history(t)[:3])
	lines := strings.SplitAfter(string(good), "\n")
	binary := write(t, archive.Binary, history(t)[:3])
	cases := []struct {
		name, raw string
		want      string
	}{
		{name: "broken JSON on line 2", raw: lines[0] + "{\"position\":\n" + lines[2], want: "line 2:"},
		{name: "bad hash on line 3", raw: lines[0] + lines[1] + strings.Replace(lines[2], `"hash":"`, `"hash":"zz`, 1), want: "line 3: hash"},
		{name: "truncated binary", raw: string(binary[:len(binary)-binaryTrailer-5]), want: "record 3: truncated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, []byte(tc.raw))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("read = %v, want %s...", err, tc.want)
			}
		})
	}
	if _, _, err := archive.NewReader(strings.NewReader("PK\x03\x04 not an archive")); !errors.Is(err, archive.ErrFormat) {
		t.Errorf("a zip file: %v, want ErrFormat", err)
	}
}

func TestNDJSONBatchesAsOneByOne(t *testing.T) {
	var log []events.Envelope
	for range 40 { // enough for every worker to have a share
		log = append(log, history(t)...)
	}
	var buf bytes.Buffer
	w, err := archive.NewWriter(&buf, archive.NDJSON)
	if err != nil {
		t.Fatal(err)
	}
	bw, ok := w.(archive.BatchWriter)
	if !ok {
		t.Fatal("the NDJSON writer writes no batches")
	}
	if err := errors.Join(bw.WriteBatch(log[:7]), bw.WriteBatch(log[7:]), w.Close()); err != nil {
		t.Fatal(err)
	}
	if want := write(t, archive.NDJSON, log); !bytes.Equal(buf.Bytes(), want) {
		t.Errorf("batches wrote %d bytes, one by one %d, or in another order", buf.Len(), len(want))
	}
}

// TestNDJSONPayloadIsUpcast writes a TaskFailed of schema version 1 (cause
// and reason as top-level fields 8 and 9): the line shows it as the API
// does, upcast, and a payload of a known type that does not decode is an
// error, not null.
func TestNDJSONPayloadIsUpcast(t *testing.T) {
	var v1 []byte
	v1 = protowire.AppendTag(v1, 2, protowire.BytesType)
	v1 = protowire.AppendString(v1, "s.1")
	v1 = protowire.AppendTag(v1, 8, protowire.BytesType)
	v1 = protowire.AppendString(v1, "timeout")
	v1 = protowire.AppendTag(v1, 9, protowire.BytesType)
	v1 = protowire.AppendString(v1, "no result")
	e := events.Envelope{ID: uuid.New(), Stream: "swarm-s", Version: 1, Position: 1, Type: "hive.v1.TaskFailed", SchemaVersion: 1, Payload: v1}
	e.Hash = events.ChainHash(events.Hash{}, &e)
	line, _, _ := strings.Cut(string(write(t, archive.NDJSON, []events.Envelope{e})), "\n")
	var got struct {
		Payload struct {
			TaskID  string `json:"taskId"`
			Failure struct{ Cause, Reason string }
		}
	}
	if err := json.Unmarshal([]byte(line), &got); err != nil {
		t.Fatal(err)
	}
	if p := got.Payload; p.TaskID != "s.1" || p.Failure.Cause != "timeout" || p.Failure.Reason != "no result" {
		t.Errorf("payload %+v, want task s.1 failed with cause timeout, reason no result: %s", p, line)
	}
	e.Payload = []byte{0x42}
	w, err := archive.NewWriter(io.Discard, archive.NDJSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(&e); err == nil {
		t.Error("writing a TaskFailed whose payload does not decode succeeded")
	}
}

// binaryTrailer is the length of a binary archive's trailer record when
// its count and last position are below 128.
const binaryTrailer = 1 + len("HIVEEND1") + 1 + 1 + 32

// TestLostEventsAreRefused cuts events from archives in ways the hash
// chains alone cannot show (the last event of a stream, the end of the
// file at a record boundary), or adds to them: the trailer catches each.
func TestLostEventsAreRefused(t *testing.T) {
	log := history(t)
	nd := strings.SplitAfter(string(write(t, archive.NDJSON, log)), "\n")
	full := write(t, archive.Binary, log)
	eleven := write(t, archive.Binary, log[:11])
	cases := []struct {
		name, raw string
		want      string
	}{
		{"NDJSON without the last event of agent-2", strings.Join(nd[:11], "") + nd[12], "line 12: trailer: it says 12 events, the archive has 11"},
		{"NDJSON without agent-2's version 2", strings.Join(nd[:5], "") + strings.Join(nd[6:], ""), "line 8: stream \"agent-2\" version 2"},
		{"NDJSON cut after line 11", strings.Join(nd[:11], ""), "line 12: missing trailer: the archive is truncated"},
		{"NDJSON without its trailer", strings.Join(nd[:12], ""), "line 13: missing trailer"},
		{"NDJSON with a line after the trailer", strings.Join(nd, "") + nd[0], "line 14: trailer: a line follows it"},
		{"NDJSON with a changed digest", strings.Join(nd[:12], "") + changeDigest(nd[12]), "line 13: trailer: its digest"},
		{"binary without the last event of agent-2", string(eleven[:len(eleven)-binaryTrailer]) + string(full[len(full)-binaryTrailer:]), "record 12: trailer: it says 12 events, the archive has 11"},
		{"binary cut after record 11", string(eleven[:len(eleven)-binaryTrailer]), "record 12: missing trailer: the archive is truncated"},
		{"binary cut inside its trailer", string(full[:len(full)-3]), "record 13: trailer: unexpected EOF"},
		{"binary with a byte after the trailer", string(full) + "\x00", "record 13: trailer: data follows it"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, f, err := archive.NewReader(strings.NewReader(tc.raw))
			if err != nil {
				t.Fatal(err)
			}
			_, err = archive.Verify(r, f)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("Verify = %v, want %s...", err, tc.want)
			}
		})
	}
}

func TestVerifyRefusesDuplicateIDs(t *testing.T) {
	log := history(t)
	log[3].ID = log[0].ID
	prev := map[string]events.Hash{}
	for i := range log {
		log[i].Hash = events.ChainHash(prev[log[i].Stream], &log[i])
		prev[log[i].Stream] = log[i].Hash
	}
	r, f, err := archive.NewReader(bytes.NewReader(write(t, archive.Binary, log)))
	if err != nil {
		t.Fatal(err)
	}
	_, err = archive.Verify(r, f)
	if want := fmt.Sprintf("record 4: duplicate event id %s, as at record 1", log[0].ID); err == nil || err.Error() != want || !errors.Is(err, archive.ErrDuplicateID) {
		t.Fatalf("Verify = %v, want %s", err, want)
	}
}

// changeDigest changes the first hex digit of the digest in an NDJSON
// trailer line.
func changeDigest(line string) string {
	i := strings.Index(line, `"digest":"`) + len(`"digest":"`)
	d := byte('0')
	if line[i] == '0' {
		d = '1'
	}
	return line[:i] + string(d) + line[i+1:]
}
