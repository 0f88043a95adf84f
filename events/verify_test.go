package events_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"hive/events"
)

// chained returns a log of two interleaved streams, a, b, a, b, a, with
// correct versions, positions and hashes.
func chained() []events.Envelope {
	var log []events.Envelope
	prev := map[string]events.Envelope{}
	for i, stream := range []string{"a", "b", "a", "b", "a"} {
		e := events.Envelope{
			ID: uuid.New(), Stream: stream, Version: prev[stream].Version + 1, Position: uint64(i + 1),
			Type: "t", RecordedAt: time.Unix(int64(i), 0).UTC(), SchemaVersion: 1, Payload: []byte{byte(i)},
			Metadata: events.Metadata{Principal: "p"},
		}
		e.Hash = events.ChainHash(prev[stream].Hash, &e)
		prev[stream] = e
		log = append(log, e)
	}
	return log
}

func TestVerifier(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func([]events.Envelope) []events.Envelope
		stream  string
		version uint64
	}{
		{name: "intact", tamper: func(l []events.Envelope) []events.Envelope { return l }},
		{name: "payload changed", stream: "b", version: 2, tamper: func(l []events.Envelope) []events.Envelope {
			l[3].Payload = []byte{99}
			return l
		}},
		{name: "event missing", stream: "a", version: 2, tamper: func(l []events.Envelope) []events.Envelope {
			return append(l[:2:2], l[3:]...)
		}},
		{name: "two swapped", stream: "a", version: 2, tamper: func(l []events.Envelope) []events.Envelope {
			l[2], l[4] = l[4], l[2]
			l[2].Position, l[4].Position = 3, 5
			return l
		}},
		{name: "position repeated", stream: "b", version: 2, tamper: func(l []events.Envelope) []events.Envelope {
			l[3].Position = 3
			return l
		}},
		{name: "recorded time changed", stream: "a", version: 3, tamper: func(l []events.Envelope) []events.Envelope {
			l[4].RecordedAt = l[4].RecordedAt.Add(time.Nanosecond)
			return l
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := events.NewVerifier()
			var err error
			for _, e := range tc.tamper(chained()) {
				if err = v.Add(&e); err != nil {
					break
				}
			}
			var ce *events.ChainError
			switch {
			case tc.stream == "" && err != nil:
				t.Fatalf("intact log: %v", err)
			case tc.stream == "" && (v.Events() != 5 || v.Streams() != 2 || v.Version("a") != 3):
				t.Fatalf("intact log: %d events, %d streams, a at %d", v.Events(), v.Streams(), v.Version("a"))
			case tc.stream != "" && !errors.As(err, &ce):
				t.Fatalf("got %v, want a ChainError", err)
			case tc.stream != "" && (ce.Stream != tc.stream || ce.Version != tc.version):
				t.Fatalf("got %v, want stream %s version %d", err, tc.stream, tc.version)
			}
		})
	}
}
