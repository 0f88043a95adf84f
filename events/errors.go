package events

import (
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// Sentinel errors of the store contract. Backends translate their own errors
// into these, so that callers test with errors.Is and errors.As only.
var (
	// ErrWrongExpectedVersion: the stream's version did not satisfy the
	// append's ExpectedVersion. The error is a *WrongExpectedVersionError.
	ErrWrongExpectedVersion = errors.New("wrong expected version")
	// ErrStreamNotFound: the stream has no events.
	ErrStreamNotFound = errors.New("stream not found")
	// ErrEventTooLarge: an event exceeds the store's size limit. The error
	// is an *EventTooLargeError.
	ErrEventTooLarge = errors.New("event too large")
	// ErrDuplicateEventID: an event id is already stored, but not as the same
	// events of the same stream, so the append cannot be idempotent.
	ErrDuplicateEventID = errors.New("duplicate event id")
	// ErrInvalidArgument: a malformed stream name, event or read request.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrClosed: the store or subscription has been closed.
	ErrClosed = errors.New("closed")
	// ErrNoSpace: the store's disk is full, or too full to write safely:
	// the append or snapshot was not stored. Reads still work; whether
	// writes work again once space is freed depends on the backend.
	ErrNoSpace = errors.New("no space left for the event store")
	// ErrUnavailable: the store could not be reached (its server refused
	// or lost the connection, or is restarting). For an append the outcome
	// may be unknown: the events may or may not have been stored, so the
	// caller reads the stream again before deciding anew. Retrying later
	// is safe.
	ErrUnavailable = errors.New("event store unavailable")
)

// WrongExpectedVersionError reports an optimistic-concurrency conflict and
// the stream's actual version (0 when the stream does not exist).
type WrongExpectedVersionError struct {
	Stream   string
	Expected ExpectedVersion
	Actual   uint64
}

// Error implements error.
func (e *WrongExpectedVersionError) Error() string {
	return fmt.Sprintf("stream %q: expected %s, actual version %d", e.Stream, e.Expected, e.Actual)
}

// Is makes errors.Is(err, ErrWrongExpectedVersion) true.
func (e *WrongExpectedVersionError) Is(target error) bool { return target == ErrWrongExpectedVersion }

// EventTooLargeError names the event over the limit.
type EventTooLargeError struct {
	ID    uuid.UUID
	Size  int
	Limit int
}

// Error implements error.
func (e *EventTooLargeError) Error() string {
	return fmt.Sprintf("event %s is %d bytes, over the limit of %d", e.ID, e.Size, e.Limit)
}

// Is makes errors.Is(err, ErrEventTooLarge) true.
func (e *EventTooLargeError) Is(target error) bool { return target == ErrEventTooLarge }
