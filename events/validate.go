package events

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

const (
	// MaxStreamNameLength is the longest stream name a store accepts, in bytes.
	MaxStreamNameLength = 512
	// DefaultMaxEventSize is the default limit on one event's size: its
	// type, payload and metadata together.
	DefaultMaxEventSize = 1 << 20
	// MaxReadLimit is the most events one read returns; larger limits are
	// lowered to it.
	MaxReadLimit = 10_000
)

// Recorded times must fit int64 nanoseconds since 1970, as stored.
var (
	minRecordedAt = time.Unix(0, math.MinInt64)
	maxRecordedAt = time.Unix(0, math.MaxInt64)
)

// ValidateAppend checks an append request against the rules every store
// shares: a well-formed stream name, at least one event, each with a non-nil
// id unique in the request, a type, UTF-8 type and metadata, a recorded time
// (if any) that fits in int64 nanoseconds, and a size within maxEventSize.
func ValidateAppend(stream string, evs []Event, maxEventSize int) error {
	if err := ValidateStreamName(stream); err != nil {
		return err
	}
	if len(evs) == 0 {
		return fmt.Errorf("%w: no events to append", ErrInvalidArgument)
	}
	seen := make(map[uuid.UUID]struct{}, len(evs))
	for i := range evs {
		e := &evs[i]
		if e.ID == uuid.Nil {
			return fmt.Errorf("%w: event %d has no id", ErrInvalidArgument, i)
		}
		if _, dup := seen[e.ID]; dup {
			return fmt.Errorf("%w: event id %s appears twice in one append", ErrInvalidArgument, e.ID)
		}
		seen[e.ID] = struct{}{}
		if e.Type == "" {
			return fmt.Errorf("%w: event %s has no type", ErrInvalidArgument, e.ID)
		}
		if !utf8.ValidString(e.Type) || !utf8.ValidString(e.CorrelationID) ||
			!utf8.ValidString(e.CausationID) || !utf8.ValidString(e.Principal) {
			return fmt.Errorf("%w: event %s has a type or metadata that is not valid UTF-8", ErrInvalidArgument, e.ID)
		}
		if t := e.RecordedAt; !t.IsZero() && (t.Before(minRecordedAt) || t.After(maxRecordedAt)) {
			return fmt.Errorf("%w: event %s recorded at %v, outside the years 1678 to 2262", ErrInvalidArgument, e.ID, t)
		}
		if n := e.size(); n > maxEventSize {
			return &EventTooLargeError{ID: e.ID, Size: n, Limit: maxEventSize}
		}
	}
	return nil
}

// ValidateStreamName checks that a stream name is non-empty valid UTF-8 of at
// most MaxStreamNameLength bytes without NUL bytes.
func ValidateStreamName(stream string) error {
	switch {
	case stream == "":
		return fmt.Errorf("%w: empty stream name", ErrInvalidArgument)
	case len(stream) > MaxStreamNameLength:
		return fmt.Errorf("%w: stream name longer than %d bytes", ErrInvalidArgument, MaxStreamNameLength)
	case !utf8.ValidString(stream) || strings.ContainsRune(stream, 0):
		return fmt.Errorf("%w: stream name %q is not valid UTF-8 without NUL", ErrInvalidArgument, stream)
	}
	return nil
}

// ValidateStreamRead checks the arguments of a stream read that every
// store checks before it looks for the stream: a well-formed stream name
// (ValidateStreamName) and a known direction.
func ValidateStreamRead(stream string, dir Direction) error {
	if err := ValidateStreamName(stream); err != nil {
		return err
	}
	if dir != Forward && dir != Backward {
		return fmt.Errorf("%w: read direction %d is neither forward nor backward", ErrInvalidArgument, dir)
	}
	return nil
}

// ClampLimit checks a read limit and lowers it to MaxReadLimit.
func ClampLimit(limit int) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("%w: read limit %d is not positive", ErrInvalidArgument, limit)
	}
	return min(limit, MaxReadLimit), nil
}
