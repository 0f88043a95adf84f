package pgstore

import (
	"context"
	"fmt"
	"math"

	"github.com/jackc/pgx/v5"

	"hive/events"
)

// ReadAll implements events.Store. It sees only committed transactions,
// and positions become visible in order (see the package documentation),
// so a reader resuming after the last position it saw skips nothing.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error) {
	limit, err := events.ClampLimit(limit)
	if err != nil {
		return nil, err
	}
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	out, err := s.readLog(ctx, after, limit)
	if err != nil {
		return nil, translate(ctx, "read the log", err)
	}
	return out, nil
}

// readLog reads a page of the log. It reads the head in the same round
// trip, to size the page: positions are dense, so a page holds
// min(limit, head-after) events, give or take the appends committed
// between the two statements and the gaps an import may have left.
// Growing a page of ten thousand envelopes by doubling cost more than
// decoding them.
func (s *Store) readLog(ctx context.Context, after uint64, limit int) ([]events.Envelope, error) {
	b := &pgx.Batch{}
	b.Queue("SELECT position FROM hive.head")
	b.Queue("SELECT "+eventColumns+" FROM hive.events WHERE position > $1 ORDER BY position LIMIT $2", clampInt64(after), limit)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	var head int64
	if err := br.QueryRow().Scan(&head); err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, err
	}
	size := 0
	if uint64(head) > after {
		size = int(min(uint64(head)-after, uint64(limit)))
	}
	var d decoder
	out, err := d.decodeAll(rows, size)
	if err != nil {
		return nil, err
	}
	return out, br.Close()
}

// ReadStream implements events.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error) {
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
	defer s.mu.RUnlock()
	query := "SELECT " + eventColumns + " FROM hive.events WHERE stream = $1 AND version >= $2 ORDER BY version LIMIT $3"
	if dir == events.Backward {
		query = "SELECT " + eventColumns + " FROM hive.events WHERE stream = $1 AND version <= $2 ORDER BY version DESC LIMIT $3"
	}
	out, exists, err := s.readStream(ctx, query, stream, from, limit)
	switch {
	case err != nil:
		return nil, translate(ctx, "read stream "+stream, err)
	case len(out) == 0 && !exists:
		return nil, fmt.Errorf("%w: %q", events.ErrStreamNotFound, stream)
	}
	return out, nil
}

// readStream runs query, a read of stream's events, and in the same round
// trip looks the stream up: an empty read of a stream that exists is not
// an error, and a new entity's recovery, which reads a stream that does
// not exist yet, costs one round trip.
func (s *Store) readStream(ctx context.Context, query, stream string, from uint64, limit int) (out []events.Envelope, exists bool, err error) {
	b := &pgx.Batch{}
	b.Queue(query, stream, clampInt64(from), limit)
	b.Queue("SELECT EXISTS (SELECT 1 FROM hive.streams WHERE stream = $1)", stream)
	br := s.pool.SendBatch(ctx, b)
	defer br.Close()
	rows, err := br.Query()
	if err != nil {
		return nil, false, err
	}
	var d decoder
	if out, err = d.decodeAll(rows, min(limit, 256)); err != nil {
		return nil, false, err
	}
	if err := br.QueryRow().Scan(&exists); err != nil {
		return nil, false, err
	}
	return out, exists, br.Close()
}

// clampInt64 converts a position or version to PostgreSQL's bigint, which
// holds every one the store writes; larger ones (events.End) stay larger
// than all of them.
func clampInt64(v uint64) int64 {
	return int64(min(v, math.MaxInt64))
}
