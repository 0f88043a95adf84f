package pgstore

import (
	"context"

	"hive/events"
)

// Append implements events.Store. It returns once the transaction holding
// the append has committed. If ctx ends after the writer took the append,
// Append returns ctx's error, but the events may still commit, exactly as
// if the reply had been lost: retry with the same event ids, and the
// retry returns the original result. If the server cannot be reached, or
// the connection is lost before the commit is confirmed, Append fails with
// events.ErrUnavailable: the events may or may not be stored.
//
// Besides the errors of the contract, it refuses with
// events.ErrInvalidArgument an event whose type or metadata holds a NUL
// character, which PostgreSQL's text cannot store.
func (s *Store) Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return events.AppendResult{}, err
	}
	select {
	case <-s.done:
		return events.AppendResult{}, events.ErrClosed
	default:
	}
	req, err := s.newRequest(stream, expected, evs)
	if err != nil {
		return events.AppendResult{}, err
	}
	s.appending.Add(1)
	defer s.appending.Add(-1)
	select {
	case s.reqs <- req:
	case <-s.done:
		return events.AppendResult{}, events.ErrClosed
	case <-ctx.Done():
		return events.AppendResult{}, ctx.Err()
	}
	select {
	case r := <-req.reply:
		return r.res, r.err
	case <-ctx.Done():
		req.abandoned.Store(true)
		return events.AppendResult{}, ctx.Err()
	}
}
