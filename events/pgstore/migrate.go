package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationLock is the key of the transaction-level advisory lock under
// which Open migrates the schema: nodes starting at once take turns, and
// each finds the schema as the one before left it. ("hive" in ASCII.)
const migrationLock = 0x68697665

// migrations are the schema's versions, in order: migrations[i] takes the
// schema from version i to i+1. A released migration is never changed;
// a change of schema is a new migration at the end.
var migrations = []string{
	// 1: the log, the streams' heads, the log's head and snapshots.
	`CREATE TABLE hive.events (
		position       bigint PRIMARY KEY,
		stream         text   NOT NULL,
		version        bigint NOT NULL,
		id             uuid   NOT NULL UNIQUE,
		type           text   NOT NULL,
		schema_version bigint NOT NULL,
		recorded_at    bigint NOT NULL,
		correlation_id text   NOT NULL,
		causation_id   text   NOT NULL,
		principal      text   NOT NULL,
		payload        bytea  NOT NULL,
		hash           bytea  NOT NULL,
		UNIQUE (stream, version)
	);
	CREATE TABLE hive.streams (
		stream  text   PRIMARY KEY,
		version bigint NOT NULL,
		hash    bytea  NOT NULL
	);
	CREATE TABLE hive.head (
		one      boolean PRIMARY KEY DEFAULT true CHECK (one),
		position bigint  NOT NULL
	);
	INSERT INTO hive.head (position) VALUES (0);
	CREATE TABLE hive.snapshots (
		stream         text   PRIMARY KEY,
		version        bigint NOT NULL,
		type           text   NOT NULL,
		schema_version bigint NOT NULL,
		payload        bytea  NOT NULL
	);`,
}

// migrate brings the database's schema to the newest version, in one
// transaction under migrationLock, and returns the version it found.
func migrate(ctx context.Context, pool *pgxpool.Pool) (found int, err error) {
	tx, err := pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(ctx)
		}
	}()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLock)); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `CREATE SCHEMA IF NOT EXISTS hive;
		CREATE TABLE IF NOT EXISTS hive.migrations (
			version    integer     PRIMARY KEY,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
		return 0, err
	}
	if err := tx.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM hive.migrations").Scan(&found); err != nil {
		return 0, err
	}
	if found > len(migrations) {
		return found, fmt.Errorf("%w: the database's schema is at version %d, newer than this Hive knows (%d): run a newer Hive", ErrSchemaTooNew, found, len(migrations))
	}
	for v := found + 1; v <= len(migrations); v++ {
		if err := apply(ctx, tx, v); err != nil {
			return found, err
		}
	}
	return found, tx.Commit(ctx)
}

func apply(ctx context.Context, tx pgx.Tx, version int) error {
	if _, err := tx.Exec(ctx, migrations[version-1]); err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	if _, err := tx.Exec(ctx, "INSERT INTO hive.migrations (version) VALUES ($1)", version); err != nil {
		return fmt.Errorf("migration %d: %w", version, err)
	}
	return nil
}
