package pgstore

import (
	"fmt"
	"strings"
	"sync/atomic"

	"hive/events"
)

// request is one Append on its way through the writer.
type request struct {
	stream   string
	expected events.ExpectedVersion
	evs      []events.Event // the store's own copy
	size     int            // the bytes of its events, as MaxBatchBytes counts them
	// abandoned is set when the caller stopped waiting; the writer skips
	// the request if it has not taken it into a transaction yet.
	abandoned atomic.Bool
	reply     chan reply // buffered: answering never blocks
}

type reply struct {
	res events.AppendResult
	err error
}

// newRequest validates an append and copies its events, so that the
// caller may reuse evs as soon as Append returns, even when it stops
// waiting before the commit.
func (s *Store) newRequest(stream string, expected events.ExpectedVersion, evs []events.Event) (*request, error) {
	if err := events.ValidateAppend(stream, evs, s.cfg.MaxEventSize); err != nil {
		return nil, err
	}
	payloads, size := 0, 0
	for i := range evs {
		e := &evs[i]
		if err := checkText(e); err != nil {
			return nil, err
		}
		payloads += len(e.Payload)
		size += len(stream) + len(e.Type) + len(e.Payload) + len(e.CorrelationID) + len(e.CausationID) + len(e.Principal)
	}
	if size > s.cfg.MaxBatchBytes {
		return nil, fmt.Errorf("%w: append of %d bytes exceeds the store's batch limit of %d", events.ErrInvalidArgument, size, s.cfg.MaxBatchBytes)
	}
	own := make([]events.Event, len(evs))
	copy(own, evs)
	buf := make([]byte, 0, payloads)
	for i := range own {
		start := len(buf)
		buf = append(buf, own[i].Payload...)
		own[i].Payload = buf[start:len(buf):len(buf)]
	}
	return &request{stream: stream, expected: expected, evs: own, size: size, reply: make(chan reply, 1)}, nil
}

// checkText refuses a type or metadata holding a NUL character, which
// PostgreSQL's text cannot store (stream names cannot hold one anyway).
func checkText(e *events.Event) error {
	for _, s := range [...]string{e.Type, e.CorrelationID, e.CausationID, e.Principal} {
		if strings.IndexByte(s, 0) >= 0 {
			return fmt.Errorf("%w: event %s has a NUL character in its type or metadata, which PostgreSQL cannot store", events.ErrInvalidArgument, e.ID)
		}
	}
	return nil
}
