package events

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// CurrentSchemaVersion is the schema version of snapshots, and of the
// payloads of every event type that never changed (see SchemaVersion).
const CurrentSchemaVersion = 1

// ErrUnknownType: an event's type names no protobuf message linked into this
// binary.
var ErrUnknownType = errors.New("unknown event type")

// Encode returns msg's type name (its protobuf full name) and its
// deterministic encoding: the type and payload of an event or snapshot.
func Encode(msg proto.Message) (typ string, payload []byte, err error) {
	typ = string(msg.ProtoReflect().Descriptor().FullName())
	payload, err = proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return "", nil, fmt.Errorf("encode %s: %w", typ, err)
	}
	return typ, payload, nil
}

// DecodePayload returns payload as the protobuf message typ names.
func DecodePayload(typ string, payload []byte) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(typ))
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, typ)
	}
	msg := mt.New().Interface()
	if err := proto.Unmarshal(payload, msg); err != nil {
		return nil, fmt.Errorf("decode %s: %w", typ, err)
	}
	return msg, nil
}

// NewEvent encodes msg as the payload of a new event with a fresh UUIDv7 id,
// typed by the message's protobuf full name, at its type's current schema
// version.
func NewEvent(msg proto.Message, md Metadata) (Event, error) {
	id, err := NewEventID()
	if err != nil {
		return Event{}, err
	}
	typ, payload, err := Encode(msg)
	if err != nil {
		return Event{}, err
	}
	return Event{
		ID:            id,
		Type:          typ,
		SchemaVersion: SchemaVersion(typ),
		Payload:       payload,
		Metadata:      md,
	}, nil
}

// Upcast returns the payload of e upcast to its type's current schema
// version (see HiveUpcasters), for readers that decode it themselves.
func Upcast(e *Envelope) ([]byte, error) {
	payload, err := hiveSchemas.Upcast(e.Type, e.SchemaVersion, e.Payload)
	if err != nil {
		return nil, fmt.Errorf("%s version %d: %w", e.Stream, e.Version, err)
	}
	return payload, nil
}

// Decode returns the payload of e, upcast to its type's current schema
// version (see HiveUpcasters), as the protobuf message its type names. An
// event written by a newer Hive fails with a *SchemaVersionError.
func Decode(e *Envelope) (proto.Message, error) {
	return hiveSchemas.Decode(e)
}
