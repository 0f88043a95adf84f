package events

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"
)

// ErrSchemaVersion: an event's payload has a schema version this binary
// cannot read (newer than the current one of its type). The error is a
// *SchemaVersionError.
var ErrSchemaVersion = errors.New("unknown schema version")

// SchemaVersionError reports an event whose schema version is newer than the
// newest this binary knows for its type: it was written by a newer Hive.
type SchemaVersionError struct {
	Type    string
	Version uint32
	Current uint32
}

// Error implements error.
func (e *SchemaVersionError) Error() string {
	return fmt.Sprintf("%s schema version %d is newer than the current version %d", e.Type, e.Version, e.Current)
}

// Unwrap makes errors.Is(err, ErrSchemaVersion) hold.
func (e *SchemaVersionError) Unwrap() error { return ErrSchemaVersion }

// Upcaster turns the payload of one schema version of an event type into
// the payload of the next version. It must be pure: the same bytes in give
// the same bytes out, so that replays and audits of old events are
// deterministic.
type Upcaster func(payload []byte) ([]byte, error)

// Upcasters holds, per event type, the chain of upcasters from its first
// schema version (1) to its current one. A type with no upcaster is at
// version 1. It is built once and then only read: it is safe for
// concurrent reads once built.
type Upcasters struct {
	chains map[string][]Upcaster
}

// NewUpcasters returns an empty set: every type at version 1.
func NewUpcasters() *Upcasters {
	return &Upcasters{chains: map[string][]Upcaster{}}
}

// Register adds fn, which upcasts typ's payloads from version from to
// from+1. Upcasters of a type are registered in order: from must be the
// type's current version, which fn then makes from+1.
func (u *Upcasters) Register(typ string, from uint32, fn Upcaster) error {
	if cur := u.Current(typ); from != cur || fn == nil {
		return fmt.Errorf("%w: upcaster of %s from version %d: the current version is %d", ErrInvalidArgument, typ, from, cur)
	}
	u.chains[typ] = append(u.chains[typ], fn)
	return nil
}

// Current returns typ's current schema version: what new events carry.
func (u *Upcasters) Current(typ string) uint32 {
	return uint32(len(u.chains[typ])) + 1
}

// Upcast returns payload, written with version of typ's schema, as a
// payload of its current version, applying the upcasters in order. A
// current payload is returned as it is. Version 0 means 1 (events written
// before versions were stamped). A version newer than the current one fails
// with a *SchemaVersionError.
func (u *Upcasters) Upcast(typ string, version uint32, payload []byte) ([]byte, error) {
	chain := u.chains[typ]
	cur := uint32(len(chain)) + 1
	version = max(version, 1)
	if version > cur {
		return nil, &SchemaVersionError{Type: typ, Version: version, Current: cur}
	}
	for v := version; v < cur; v++ {
		next, err := chain[v-1](payload)
		if err != nil {
			return nil, fmt.Errorf("upcast %s from version %d: %w", typ, v, err)
		}
		payload = next
	}
	return payload, nil
}

// Decode returns the payload of e, upcast to its type's current schema
// version, as the protobuf message its type names.
func (u *Upcasters) Decode(e *Envelope) (msg proto.Message, err error) {
	payload, err := u.Upcast(e.Type, e.SchemaVersion, e.Payload)
	if err == nil {
		msg, err = DecodePayload(e.Type, payload)
	}
	if err != nil {
		return nil, fmt.Errorf("%s version %d: %w", e.Stream, e.Version, err)
	}
	return msg, nil
}
