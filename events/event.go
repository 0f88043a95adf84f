package events

import (
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Metadata says who caused an event and in answer to what.
type Metadata struct {
	// CorrelationID is shared by every event caused, directly or not, by one
	// external request.
	CorrelationID string
	// CausationID is the id of the command or event that caused this event.
	CausationID string
	// Principal is who issued the command: a user, a token or an agent.
	Principal string
}

// Event is an event proposed for appending. The store assigns its stream,
// version, position, recorded time and hash.
type Event struct {
	// ID identifies the event forever; appending the same ID again is
	// idempotent. Callers use UUIDv7 (NewEventID).
	ID uuid.UUID
	// Type is the payload's type name, the protobuf full name for Hive's
	// own events (e.g. "hive.v1.AgentRegistered").
	Type string
	// SchemaVersion is the version of the payload's schema, starting at 1.
	SchemaVersion uint32
	// Payload is the encoded event body.
	Payload []byte
	// RecordedAt is when the event was decided. If zero, the store stamps
	// the time of its commit. Either way it is stored in UTC and covered by
	// the hash chain.
	RecordedAt time.Time
	Metadata
}

// Envelope is a recorded event, as stored and as read back.
type Envelope struct {
	ID            uuid.UUID
	Stream        string
	Version       uint64
	Position      uint64
	Type          string
	RecordedAt    time.Time
	SchemaVersion uint32
	Payload       []byte
	Metadata
	// Hash links the event into its stream's hash chain; see ChainHash.
	Hash Hash
}

// NewEventID returns a new time-ordered event id (UUIDv7).
func NewEventID() (uuid.UUID, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return uuid.Nil, fmt.Errorf("new event id: %w", err)
	}
	return id, nil
}

// size is the number of bytes the event occupies, as limited by a store's
// maximum event size.
func (e *Event) size() int {
	return len(e.Type) + len(e.Payload) + len(e.CorrelationID) + len(e.CausationID) + len(e.Principal)
}
