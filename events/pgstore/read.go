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
	rows, err := s.pool.Query(ctx, query, stream, clampInt64(from), limit)
	if err != nil {
		return nil, translate(ctx, "read stream "+stream, err)
	}
	var d decoder
	out, err := d.decodeAll(rows, min(limit, 256))
	if err != nil {
		return nil, translate(ctx, "read stream "+stream, err)
	}
	if len(out) == 0 {
		return out, s.streamExists(ctx, stream)
	}
	return out, nil
}

// streamExists fails with events.ErrStreamNotFound unless stream has
// events: an empty read of a stream that exists is not an error.
func (s *Store) streamExists(ctx context.Context, stream string) error {
	var exists bool
	err := s.pool.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM hive.streams WHERE stream = $1)", stream).Scan(&exists)
	switch {
	case err != nil:
		return translate(ctx, "read stream "+stream, err)
	case !exists:
		return fmt.Errorf("%w: %q", events.ErrStreamNotFound, stream)
	}
	return nil
}

// clampInt64 converts a position or version to PostgreSQL's bigint, which
// holds every one the store writes; larger ones (events.End) stay larger
// than all of them.
func clampInt64(v uint64) int64 {
	return int64(min(v, math.MaxInt64))
}
