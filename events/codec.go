package events

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// CurrentSchemaVersion is the schema version of payloads written now.
const CurrentSchemaVersion = 1

// ErrUnknownType: an event's type names no protobuf message linked into this
// binary.
var ErrUnknownType = errors.New("unknown event type")

// NewEvent encodes msg as the payload of a new event with a fresh UUIDv7 id,
// typed by the message's protobuf full name.
func NewEvent(msg proto.Message, md Metadata) (Event, error) {
	id, err := NewEventID()
	if err != nil {
		return Event{}, err
	}
	payload, err := proto.MarshalOptions{Deterministic: true}.Marshal(msg)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s: %w", msg.ProtoReflect().Descriptor().FullName(), err)
	}
	return Event{
		ID:            id,
		Type:          string(msg.ProtoReflect().Descriptor().FullName()),
		SchemaVersion: CurrentSchemaVersion,
		Payload:       payload,
		Metadata:      md,
	}, nil
}

// Decode returns the payload of e as the protobuf message its type names.
func Decode(e *Envelope) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(e.Type))
	if err != nil {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, e.Type)
	}
	msg := mt.New().Interface()
	if err := proto.Unmarshal(e.Payload, msg); err != nil {
		return nil, fmt.Errorf("decode %s at %s version %d: %w", e.Type, e.Stream, e.Version, err)
	}
	return msg, nil
}
