package pgstore

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"

	"hive/events"
)

// eventColumns are the columns scanEnvelope reads, in its order.
const eventColumns = `position, stream, version, id, type, schema_version, recorded_at,
	correlation_id, causation_id, principal, payload, hash`

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
	rows, err := s.pool.Query(ctx, "SELECT "+eventColumns+" FROM hive.events WHERE position > $1 ORDER BY position LIMIT $2",
		clampInt64(after), limit)
	if err != nil {
		return nil, translate(ctx, "read the log", err)
	}
	out, err := scanEnvelopes(rows, limit)
	if err != nil {
		return nil, translate(ctx, "read the log", err)
	}
	return out, nil
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
	out, err := scanEnvelopes(rows, limit)
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

// scanEnvelopes reads and closes rows of eventColumns. Every payload is an
// allocation of its own (pgx copies bytea into a new slice).
func scanEnvelopes(rows pgx.Rows, limit int) ([]events.Envelope, error) {
	defer rows.Close()
	out := make([]events.Envelope, 0, min(limit, 256))
	var (
		e                                   events.Envelope
		position, version, schema, recorded int64
		hash                                []byte
	)
	dest := []any{&position, &e.Stream, &version, &e.ID, &e.Type, &schema, &recorded,
		&e.CorrelationID, &e.CausationID, &e.Principal, &e.Payload, &hash}
	for rows.Next() {
		e.Payload, hash = nil, hash[:0]
		if err := rows.Scan(dest...); err != nil {
			return nil, err
		}
		e.Position, e.Version, e.SchemaVersion = uint64(position), uint64(version), uint32(schema)
		e.RecordedAt = time.Unix(0, recorded).UTC()
		if copy(e.Hash[:], hash) != len(e.Hash) || len(hash) != len(e.Hash) {
			return nil, fmt.Errorf("%w: event at position %d has a hash of %d bytes", ErrCorrupt, position, len(hash))
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// clampInt64 converts a position or version to PostgreSQL's bigint, which
// holds every one the store writes; larger ones (events.End) stay larger
// than all of them.
func clampInt64(v uint64) int64 {
	return int64(min(v, math.MaxInt64))
}
