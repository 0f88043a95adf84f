package events

import (
	"context"
	"math"
)

// Direction is the order of a stream read.
type Direction uint8

const (
	// Forward reads from the given version towards the newest event.
	Forward Direction = iota
	// Backward reads from the given version towards the first event.
	Backward
)

// End, as the from version of a backward read, starts at the stream's newest
// event.
const End uint64 = math.MaxUint64

// AppendResult is where an append's events landed.
type AppendResult struct {
	// LastVersion is the stream's version after the append: the version of
	// its last event, and the ExpectedVersion for the next one.
	LastVersion uint64
	// LastPosition is the global position of the append's last event.
	LastPosition uint64
}

// Store is Hive's event log. Implementations are safe for concurrent use;
// see the package documentation for ordering, atomicity, durability and
// idempotency guarantees, and storetest for the suite that checks them.
//
// A store shares no memory with its callers: it keeps no reference to the
// events (and their payloads) passed to Append once it returns, and the
// envelopes and payloads it returns (reads, subscriptions, snapshots) are
// the caller's, each payload its own allocation, to modify or append to
// without changing what is stored. Invalid arguments (a malformed stream
// name, a non-positive limit, an unknown direction) fail with
// ErrInvalidArgument before anything is looked up; after Close every
// method fails with ErrClosed.
type Store interface {
	// Append appends evs, atomically, to the end of stream if its current
	// version satisfies expected. It returns once the events are durable.
	// Errors: *WrongExpectedVersionError, *EventTooLargeError,
	// ErrDuplicateEventID, ErrInvalidArgument, ErrClosed.
	Append(ctx context.Context, stream string, expected ExpectedVersion, evs []Event) (AppendResult, error)

	// ReadStream returns up to limit events of stream, starting at version
	// from (inclusive) and going in direction dir. A backward read from End,
	// or from beyond the newest version, starts at the newest event. Fails
	// with ErrStreamNotFound if the stream has no events, and with
	// ErrInvalidArgument for a malformed stream name, such as "".
	ReadStream(ctx context.Context, stream string, from uint64, dir Direction, limit int) ([]Envelope, error)

	// ReadAll returns up to limit events with a global position greater than
	// after, in position order. Page by passing the last position returned.
	ReadAll(ctx context.Context, after uint64, limit int) ([]Envelope, error)

	// SubscribeAll returns a subscription delivering every event with a
	// position greater than after: first those stored, then new ones as
	// they commit, in order, with no gap and no duplicate at the switch.
	SubscribeAll(ctx context.Context, after uint64) (Subscription, error)

	// Head returns the position of the newest event, 0 for an empty store.
	Head(ctx context.Context) (uint64, error)

	// Close releases the store. Subscriptions then end with ErrClosed.
	Close() error
}

// Subscription is an ordered stream of events from a store's global log. It
// is used by one goroutine at a time.
type Subscription interface {
	// Next blocks until the next event is committed and returns it. It fails
	// with ctx's error when ctx ends (the subscription stays usable), and
	// with ErrClosed once the subscription or its store is closed.
	Next(ctx context.Context) (Envelope, error)
	// Close ends the subscription.
	Close() error
}

// Importer is an optional capability of a Store (test with a type
// assertion): restoring archived events exactly as they were recorded,
// faster than appending them one stream at a time.
type Importer interface {
	// Import stores envs, which continue the store's log: their positions
	// follow its head in order, each stream's versions follow its current
	// version, and each hash chains from the stream's previous event. The
	// envelopes' ids, versions, positions, recorded times, metadata,
	// payload bytes and hashes are stored as given. A batch that breaks
	// any of these rules fails with ErrInvalidArgument and stores nothing.
	Import(ctx context.Context, envs []Envelope) error
}
