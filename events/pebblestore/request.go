package pebblestore

import (
	"fmt"
	"sync/atomic"

	"hive/events"
)

// perEventOverhead bounds the bytes one event adds to a batch beyond its
// strings and payload: three keys, the StoredEvent framing, id, hash,
// numbers, and pebble's per-record headers.
const perEventOverhead = 256

// request is one Append on its way through the writer.
type request struct {
	stream   string
	expected events.ExpectedVersion
	evs      []events.Event // the store's own copy
	size     int            // encodedSize of all evs
	// abandoned is set when the caller stopped waiting; the writer skips the
	// request if it has not staged it yet.
	abandoned atomic.Bool
	reply     chan reply // buffered: answering never blocks
}

type reply struct {
	res events.AppendResult
	err error
}

// newRequest validates an append and copies its events, so that the
// caller may reuse evs as soon as Append returns, even on a timeout.
func (s *Store) newRequest(stream string, expected events.ExpectedVersion, evs []events.Event) (*request, error) {
	if err := events.ValidateAppend(stream, evs, s.cfg.MaxEventSize); err != nil {
		return nil, err
	}
	size, payloads := 0, 0
	for i := range evs {
		e := &evs[i]
		size += encodedSize(stream, e)
		payloads += len(e.Payload)
	}
	if size > s.cfg.MaxBatchBytes {
		return nil, fmt.Errorf("%w: append of about %d bytes exceeds the store's batch limit of %d", events.ErrInvalidArgument, size, s.cfg.MaxBatchBytes)
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

// encodedSize estimates, from above, the batch bytes e adds in stream.
func encodedSize(stream string, e *events.Event) int {
	return 2*len(stream) + len(e.Type) + len(e.Payload) + len(e.CorrelationID) +
		len(e.CausationID) + len(e.Principal) + perEventOverhead
}
