package events

import (
	"context"
	"errors"
	"fmt"
)

// ErrSnapshotNotFound: the stream has no snapshot.
var ErrSnapshotNotFound = errors.New("snapshot not found")

// Snapshot is an entity's state as of a version of its stream, kept beside
// the stream to shorten recovery: the entity restores it and applies only
// the events after Version. Snapshots are a cache, not a record: losing one
// costs a longer recovery and nothing else, so stores may keep them less
// durably than events, and the hash chain does not cover them.
type Snapshot struct {
	Stream  string
	Version uint64
	// Type names the encoding of Payload, e.g. a protobuf full name.
	Type          string
	SchemaVersion uint32
	Payload       []byte
}

// SnapshotStore keeps the newest snapshot of each stream. It is an optional
// capability of a Store (test with a type assertion); EventStoreDB maps it
// onto a "$snapshot-<stream>" stream with a maximum count of one.
type SnapshotStore interface {
	// SaveSnapshot keeps s unless the stream already has a snapshot of a
	// version at least as new.
	SaveSnapshot(ctx context.Context, s Snapshot) error
	// LoadSnapshot returns the stream's newest snapshot, or fails with
	// ErrSnapshotNotFound.
	LoadSnapshot(ctx context.Context, stream string) (Snapshot, error)
}

// SnapshotSizeFactor is how many times a store's maximum event size a
// snapshot may be: an entity's state outgrows any one of its events.
const SnapshotSizeFactor = 16

// ValidateSnapshot checks a snapshot against the rules every store shares,
// for a store whose events may be at most maxEventSize bytes.
func ValidateSnapshot(s *Snapshot, maxEventSize int) error {
	maxSize := SnapshotSizeFactor * maxEventSize
	if err := ValidateStreamName(s.Stream); err != nil {
		return err
	}
	switch {
	case s.Version == 0:
		return fmt.Errorf("%w: snapshot of %q at version 0", ErrInvalidArgument, s.Stream)
	case s.Type == "":
		return fmt.Errorf("%w: snapshot of %q has no type", ErrInvalidArgument, s.Stream)
	case len(s.Payload)+len(s.Type) > maxSize:
		return fmt.Errorf("%w: snapshot of %q is %d bytes, over the limit of %d", ErrInvalidArgument, s.Stream, len(s.Payload)+len(s.Type), maxSize)
	}
	return nil
}
