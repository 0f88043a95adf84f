package eventpb_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"hive/events"
	"hive/events/eventpb"
)

func TestRoundTrip(t *testing.T) {
	in := events.Envelope{
		ID: uuid.New(), Stream: "agent-1", Version: 3, Position: 99, Type: "hive.v1.AgentRegistered",
		RecordedAt: time.Unix(1700000000, 123).UTC(), SchemaVersion: 1, Payload: []byte("payload"),
		Metadata: events.Metadata{CorrelationID: "c", CausationID: "k", Principal: "p"},
	}
	in.Hash = events.ChainHash(events.Hash{}, &in)
	b, err := eventpb.Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	var out events.Envelope
	if err := eventpb.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Payload, in.Payload) || out.Hash != in.Hash || !out.RecordedAt.Equal(in.RecordedAt) {
		t.Fatalf("round trip = %+v, want %+v", out, in)
	}
	if out.ID != in.ID || out.Stream != in.Stream || out.Version != in.Version || out.Type != in.Type ||
		out.Position != in.Position || out.Metadata != in.Metadata || out.SchemaVersion != in.SchemaVersion {
		t.Fatalf("round trip = %+v, want %+v", out, in)
	}
	if err := eventpb.Unmarshal([]byte{0xff, 0x01}, &out); !errors.Is(err, eventpb.ErrMalformed) {
		t.Fatalf("garbage: %v, want ErrMalformed", err)
	}
}
