package esdbstore

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"

	"hive/events"
)

// ReadStream implements events.Store. Hive's version v is EventStoreDB's
// revision v-1.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error) {
	if err := validateStream(stream); err != nil {
		return nil, err
	}
	if err := events.ValidateStreamRead(stream, dir); err != nil {
		return nil, err
	}
	limit, err := events.ClampLimit(limit)
	if err != nil {
		return nil, err
	}
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	if dir == events.Forward {
		return s.readStream(ctx, stream, kurrentdb.Forwards, revision(max(from, 1)), limit)
	}
	if from == 0 {
		// Nothing lies at or before version 0, but a missing stream is
		// still reported as one.
		if _, err := s.readStream(ctx, stream, kurrentdb.Backwards, kurrentdb.End{}, 1); err != nil {
			return nil, err
		}
		return []events.Envelope{}, nil
	}
	var start kurrentdb.StreamPosition = kurrentdb.End{}
	if from != events.End {
		start = revision(from)
	}
	out, err := s.readStream(ctx, stream, kurrentdb.Backwards, start, limit)
	if err != nil || from == events.End || (len(out) > 0 && out[0].Version == from) {
		return out, err
	}
	// EventStoreDB reads backwards over the revisions from-limit+1..from,
	// so a read starting past the stream's end misses its newest events:
	// start again at the end.
	return s.readStream(ctx, stream, kurrentdb.Backwards, kurrentdb.End{}, limit)
}

// revision is the EventStoreDB revision of Hive's version v (at least 1).
func revision(v uint64) kurrentdb.StreamRevision { return kurrentdb.Revision(v - 1) }

// readStream reads up to limit envelopes of stream; ErrStreamNotFound if
// it has no events.
func (s *Store) readStream(ctx context.Context, stream string, dir kurrentdb.Direction, from kurrentdb.StreamPosition, limit int) ([]events.Envelope, error) {
	var recs []*kurrentdb.RecordedEvent
	err := s.call(ctx, "read stream "+stream, func(c *kurrentdb.Client) (err error) {
		recs, err = s.readStreamRaw(ctx, c, s.esdbName(stream), kurrentdb.ReadStreamOptions{Direction: dir, From: from}, uint64(limit))
		return err
	})
	if err != nil {
		return nil, err
	}
	if recs == nil {
		return nil, fmt.Errorf("%w: %q", events.ErrStreamNotFound, stream)
	}
	return envelopes(recs, stream)
}

// readStreamRaw reads up to n events of a stream; nil (not an error) if
// the stream has no events, which the client reports only when the first
// event is received.
func (s *Store) readStreamRaw(ctx context.Context, c *kurrentdb.Client, stream string, opts kurrentdb.ReadStreamOptions, n uint64) ([]*kurrentdb.RecordedEvent, error) {
	rs, err := c.ReadStream(ctx, stream, opts, n)
	if err != nil {
		return nil, err
	}
	recs, err := collect(rs)
	if code(err) == kurrentdb.ErrorCodeResourceNotFound {
		return nil, nil
	}
	if err == nil && recs == nil {
		recs = []*kurrentdb.RecordedEvent{} // the stream exists
	}
	return recs, err
}

// readAllRaw reads up to n events of $all, system events included.
func (s *Store) readAllRaw(ctx context.Context, c *kurrentdb.Client, opts kurrentdb.ReadAllOptions, n uint64) ([]*kurrentdb.RecordedEvent, error) {
	rs, err := c.ReadAll(ctx, opts, n)
	if err != nil {
		return nil, err
	}
	return collect(rs)
}

// collect receives a read's events until its end, and closes it.
func collect(rs *kurrentdb.ReadStream) ([]*kurrentdb.RecordedEvent, error) {
	defer rs.Close()
	var out []*kurrentdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		out = append(out, ev.OriginalEvent())
	}
}

// envelopes returns the envelopes of events read from Hive's stream.
func envelopes(recs []*kurrentdb.RecordedEvent, stream string) ([]events.Envelope, error) {
	out := make([]events.Envelope, 0, len(recs))
	for _, r := range recs {
		e, err := fromRecorded(r, stream)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

// ReadAll implements events.Store. It reads $all forwards from the event at
// position after (EventStoreDB's reads include their starting event, which
// is dropped) and leaves out the events of streams not Hive's (system
// streams, and streams without the store's prefix), reading on until it has limit
// events of Hive's streams or reaches the end of the log.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error) {
	limit, err := events.ClampLimit(limit)
	if err != nil {
		return nil, err
	}
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	out := make([]events.Envelope, 0, min(limit, 256))
	from := startAfter(after)
	// seen is the position of the last event already considered, which a
	// read starting at it returns again; 0 before any (the log's first
	// record is a system record at position 0, never one of Hive's).
	seen := after
	batch := uint64(limit) + 1
	for {
		var recs []*kurrentdb.RecordedEvent
		err := s.call(ctx, "read $all", func(c *kurrentdb.Client) (err error) {
			recs, err = s.readAllRaw(ctx, c, kurrentdb.ReadAllOptions{Direction: kurrentdb.Forwards, From: from}, batch)
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, r := range recs {
			stream, ours := s.hiveName(r.StreamID)
			if !ours || (seen > 0 && r.Position.Prepare <= seen) {
				continue
			}
			e, err := fromRecorded(r, stream)
			if err != nil {
				return nil, err
			}
			if out = append(out, e); len(out) == limit {
				return out, nil
			}
		}
		if uint64(len(recs)) < batch {
			return out, nil
		}
		last := recs[len(recs)-1].Position
		from, seen = last, last.Prepare
	}
}

// startAfter is where a read of $all for the events after Hive's position
// p starts: at the start of the log, or at the event at p, whose commit
// and prepare positions are both p.
func startAfter(p uint64) kurrentdb.AllPosition {
	if p == 0 {
		return kurrentdb.Start{}
	}
	return kurrentdb.Position{Commit: p, Prepare: p}
}

// validateStream refuses the names of EventStoreDB's system streams, which
// are not Hive's to write, and which its reads of $all leave out.
func validateStream(stream string) error {
	if isSystem(stream) {
		return fmt.Errorf("%w: stream name %q starts with \"$\", which EventStoreDB keeps for system streams", events.ErrInvalidArgument, stream)
	}
	return nil
}
