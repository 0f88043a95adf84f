package pgstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"hive/events"
)

// SaveSnapshot implements events.SnapshotStore: one upsert, which keeps
// the stored snapshot when it is at least as new.
func (s *Store) SaveSnapshot(ctx context.Context, snap events.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := events.ValidateSnapshot(&snap, s.cfg.MaxEventSize); err != nil {
		return err
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	_, err := s.pool.Exec(ctx, `INSERT INTO hive.snapshots (stream, version, type, schema_version, payload)
		VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (stream) DO UPDATE SET version = excluded.version, type = excluded.type,
			schema_version = excluded.schema_version, payload = excluded.payload
		WHERE hive.snapshots.version < excluded.version`,
		snap.Stream, clampInt64(snap.Version), snap.Type, int64(snap.SchemaVersion), nonNil(snap.Payload))
	return translate(ctx, "save the snapshot of "+snap.Stream, err)
}

// LoadSnapshot implements events.SnapshotStore.
func (s *Store) LoadSnapshot(ctx context.Context, stream string) (events.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return events.Snapshot{}, err
	}
	if err := events.ValidateStreamName(stream); err != nil {
		return events.Snapshot{}, err
	}
	if err := s.begin(ctx); err != nil {
		return events.Snapshot{}, err
	}
	defer s.mu.RUnlock()
	snap := events.Snapshot{Stream: stream}
	var version, schema int64
	err := s.pool.QueryRow(ctx, "SELECT version, type, schema_version, payload FROM hive.snapshots WHERE stream = $1", stream).
		Scan(&version, &snap.Type, &schema, &snap.Payload)
	if errors.Is(err, pgx.ErrNoRows) {
		return events.Snapshot{}, fmt.Errorf("%w: %q", events.ErrSnapshotNotFound, stream)
	}
	if err != nil {
		return events.Snapshot{}, translate(ctx, "load the snapshot of "+stream, err)
	}
	snap.Version, snap.SchemaVersion = uint64(version), uint32(schema)
	return snap, nil
}

// nonNil returns b, or an empty slice for nil: a nil []byte is SQL NULL.
func nonNil(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}
