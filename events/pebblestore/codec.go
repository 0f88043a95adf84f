package pebblestore

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// encoder turns envelopes into StoredEvent bytes. It reuses one message and
// one buffer, so it belongs to one goroutine (the writer).
type encoder struct {
	msg  hivev1.StoredEvent
	id   uuid.UUID
	hash events.Hash
}

// appendEnvelope appends the StoredEvent encoding of e to dst. e's strings
// and payload are referenced, not copied, until the call returns.
func (c *encoder) appendEnvelope(dst []byte, e *events.Envelope) ([]byte, error) {
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
	out, err := proto.MarshalOptions{}.MarshalAppend(dst, m)
	m.Payload = nil // do not pin the caller's memory
	if err != nil {
		return dst, fmt.Errorf("pebblestore: encode event %s: %w", e.ID, err)
	}
	return out, nil
}

// decoder turns StoredEvent bytes into envelopes. It reuses one message, so
// it belongs to one goroutine; the envelopes it fills own their memory.
type decoder struct {
	msg hivev1.StoredEvent
}

// decode fills e from the StoredEvent encoding b, stored at position pos.
func (d *decoder) decode(b []byte, pos uint64, e *events.Envelope) error {
	m := &d.msg
	if err := proto.Unmarshal(b, m); err != nil {
		return fmt.Errorf("%w: event at position %d: %w", ErrCorrupt, pos, err)
	}
	if len(m.Id) != len(uuid.UUID{}) || len(m.Hash) != len(events.Hash{}) || m.Position != pos {
		return fmt.Errorf("%w: event at position %d has a malformed id, hash or position", ErrCorrupt, pos)
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
	return nil
}
