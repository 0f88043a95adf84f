// Package eventpb converts envelopes to and from their durable protobuf form,
// hivev1.StoredEvent: the form the embedded store keeps, the bus carries and
// exports write.
package eventpb

import (
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// ErrMalformed: bytes that are not a well-formed StoredEvent.
var ErrMalformed = errors.New("malformed stored event")

// Encoder turns envelopes into StoredEvent bytes. It reuses one message, so
// it belongs to one goroutine.
type Encoder struct {
	msg  hivev1.StoredEvent
	id   uuid.UUID
	hash events.Hash
}

// Append appends the StoredEvent encoding of e to dst.
func (c *Encoder) Append(dst []byte, e *events.Envelope) ([]byte, error) {
	c.id, c.hash = e.ID, e.Hash
	m := &c.msg
	m.Id = c.id[:]
	m.Stream = e.Stream
	m.Version = e.Version
	m.Position = e.Position
	m.Type = e.Type
	m.RecordedAtUnixNano = e.RecordedAt.UnixNano()
	m.CorrelationId = e.CorrelationID
	m.CausationId = e.CausationID
	m.Principal = e.Principal
	m.SchemaVersion = e.SchemaVersion
	m.Payload = e.Payload
	m.Hash = c.hash[:]
	out, err := proto.MarshalOptions{Deterministic: true}.MarshalAppend(dst, m)
	m.Payload = nil // do not pin the caller's memory
	if err != nil {
		return dst, fmt.Errorf("encode event %s: %w", e.ID, err)
	}
	return out, nil
}

// Marshal returns the StoredEvent encoding of e.
func Marshal(e *events.Envelope) ([]byte, error) {
	var c Encoder
	return c.Append(nil, e)
}

// Decoder turns StoredEvent bytes into envelopes. It reuses one message, so
// it belongs to one goroutine; the envelopes it fills own their memory.
type Decoder struct {
	msg hivev1.StoredEvent
}

// Decode fills e from the StoredEvent encoding b.
func (d *Decoder) Decode(b []byte, e *events.Envelope) error {
	m := &d.msg
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if len(m.Id) != len(uuid.UUID{}) || len(m.Hash) != len(events.Hash{}) {
		return fmt.Errorf("%w: id or hash of the wrong length", ErrMalformed)
	}
	*e = events.Envelope{
		ID:            uuid.UUID(m.Id),
		Stream:        m.Stream,
		Version:       m.Version,
		Position:      m.Position,
		Type:          m.Type,
		RecordedAt:    time.Unix(0, m.RecordedAtUnixNano).UTC(),
		SchemaVersion: m.SchemaVersion,
		Payload:       m.Payload,
		Metadata: events.Metadata{
			CorrelationID: m.CorrelationId,
			CausationID:   m.CausationId,
			Principal:     m.Principal,
		},
		Hash: events.Hash(m.Hash),
	}
	m.Payload = nil // e owns it now
	return nil
}

// Unmarshal decodes the StoredEvent encoding b into e.
func Unmarshal(b []byte, e *events.Envelope) error {
	var d Decoder
	return d.Decode(b, e)
}
