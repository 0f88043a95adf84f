package pebblestore

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"hive/events"
	"hive/events/eventpb"
	hivev1 "hive/proto/hive/v1"
)

func TestFieldNumbersMatchTheSchema(t *testing.T) {
	fields := (&hivev1.StoredEvent{}).ProtoReflect().Descriptor().Fields()
	want := map[protoreflect.Name]protowire.Number{
		"id": fieldID, "stream": fieldStream, "version": fieldVersion, "position": fieldPosition,
		"type": fieldType, "recorded_at_unix_nano": fieldRecordedAt, "correlation_id": fieldCorrelationID,
		"causation_id": fieldCausationID, "principal": fieldPrincipal, "schema_version": fieldSchemaVersion,
		"payload": fieldPayload, "hash": fieldHash,
	}
	if fields.Len() != len(want) {
		t.Errorf("StoredEvent has %d fields, the decoder knows %d: teach it the new ones", fields.Len(), len(want))
	}
	for name, num := range want {
		f := fields.ByName(name)
		if f == nil || f.Number() != num {
			t.Errorf("field %s: schema says %v, decoder uses %d", name, f, num)
		}
	}
}

// TestDecoderMatchesProto encodes random envelopes with eventpb, as the
// store does, and checks that the decoder reads what proto.Unmarshal
// reads, including past a field it does not know.
func TestDecoderMatchesProto(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var enc eventpb.Encoder
	var dec decoder
	for i := range 200 {
		in := randomEnvelope(r, uint64(i+1))
		b, err := enc.Append(nil, &in)
		if err != nil {
			t.Fatal(err)
		}
		if i%2 == 1 { // a field added by a later schema
			b = protowire.AppendTag(b, 99, protowire.BytesType)
			b = protowire.AppendBytes(b, []byte("future"))
		}
		var got events.Envelope
		if err := dec.decode(b, in.Position, &got); err != nil {
			t.Fatalf("decode: %v", err)
		}
		var m hivev1.StoredEvent
		if err := proto.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		if got.ID != in.ID || got.Stream != m.Stream || got.Version != m.Version || got.Position != m.Position ||
			got.Type != m.Type || got.RecordedAt.UnixNano() != m.RecordedAtUnixNano || got.CorrelationID != m.CorrelationId ||
			got.CausationID != m.CausationId || got.Principal != m.Principal || got.SchemaVersion != m.SchemaVersion ||
			!bytes.Equal(got.Payload, m.Payload) || !bytes.Equal(got.Hash[:], m.Hash) || !got.RecordedAt.Equal(in.RecordedAt) {
			t.Fatalf("event %d: decoder read %+v, proto.Unmarshal %v", i, got, &m)
		}
	}
}

func randomEnvelope(r *rand.Rand, pos uint64) events.Envelope {
	str := func() string { return string(randomBytes(r, r.IntN(3)*r.IntN(20))) }
	e := events.Envelope{
		Stream: "s-" + str(), Version: r.Uint64(), Position: pos, Type: "t" + str(),
		RecordedAt: time.Unix(0, r.Int64()).UTC(), SchemaVersion: r.Uint32(), Payload: randomBytes(r, r.IntN(300)),
		Metadata: events.Metadata{CorrelationID: str(), CausationID: str(), Principal: str()},
	}
	copy(e.ID[:], randomBytes(r, 16))
	copy(e.Hash[:], randomBytes(r, 32))
	return e
}

func randomBytes(r *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = 'a' + byte(r.IntN(26))
	}
	return b
}

func TestDecoderRejectsGarbage(t *testing.T) {
	var dec decoder
	var e events.Envelope
	for _, b := range [][]byte{{0xff}, {0x0a, 0x05, 1}, protowire.AppendTag(nil, fieldPosition, protowire.VarintType)} {
		if err := dec.decode(b, 1, &e); err == nil {
			t.Errorf("decode(%x) succeeded", b)
		}
	}
}

func TestPayloadsDoNotShareCapacity(t *testing.T) {
	var dec decoder
	a, b := dec.bytes([]byte("one")), dec.bytes([]byte("two"))
	_ = append(a, 'X')
	if string(b) != "two" {
		t.Fatalf("appending to one payload changed the next to %q", b)
	}
}
