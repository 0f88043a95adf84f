package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/spf13/pflag"

	"hive/events"
	"hive/events/esdbstore"
	"hive/events/pgstore"
)

// storeFlagUsage is the help of --store, before what it means to the
// command.
const storeFlagUsage = "the event store's URL (env HIVE_STORE): " + storeSchemesText

// registerStore registers --store on fs, its value going to target, read
// from HIVE_STORE when not given. usage says what the command does with
// it.
func registerStore(fs *pflag.FlagSet, target *string, usage string) {
	fs.StringVar(target, "store", "", storeFlagUsage+"; "+usage)
	envFlags(fs, map[string]string{"store": "HIVE_STORE"})
}

// openedStore is an event store that --store named, opened.
type openedStore struct {
	events.Store
	// commits returns how many transactions of the store appended events
	// since it was opened; nil for a store that does not count them.
	commits func() uint64
}

// openStore opens the store u names, which is not the embedded one: it
// connects, and fails within the store's connect timeout with one line
// saying which part of --store is wrong and why, the URL and the error
// shown without its secrets. The store logs to logger.
//
// Reading tools open it as serve does and call only its reads (they hold
// it as a logSource): neither backend has a read-only mode, and opening a
// PostgreSQL database without Hive's schema creates the schema.
func openStore(ctx context.Context, u storeURL, logger *slog.Logger) (*openedStore, error) {
	var s *openedStore
	var err error
	switch u.backend {
	case postgres:
		s, err = openPostgres(ctx, u, logger)
	case eventStoreDB:
		s, err = openEventStoreDB(ctx, u, logger)
	default:
		return nil, fmt.Errorf("--store %s: not a URL of a store this Hive can open: want %s", u, storeSchemesText)
	}
	if err != nil {
		return nil, u.hide(fmt.Errorf("--store %s: %w", u, openProblem(err)))
	}
	return s, nil
}

func openPostgres(ctx context.Context, u storeURL, logger *slog.Logger) (*openedStore, error) {
	s, err := pgstore.Open(ctx, pgstore.Config{URL: u.raw, Logger: logger})
	if err != nil {
		return nil, err
	}
	return &openedStore{Store: s, commits: func() uint64 { return s.Stats().Commits }}, nil
}

func openEventStoreDB(ctx context.Context, u storeURL, logger *slog.Logger) (*openedStore, error) {
	s, err := esdbstore.Open(ctx, esdbstore.Config{URL: u.raw, Logger: logger})
	if err != nil {
		return nil, err
	}
	return &openedStore{Store: s}, nil
}

// openProblem says why a store did not open: the backend's error, after
// what kind of problem it is when the error says.
func openProblem(err error) error {
	switch {
	case errors.Is(err, events.ErrInvalidArgument):
		return fmt.Errorf("malformed URL: %w", err)
	case errors.Is(err, events.ErrUnavailable):
		return fmt.Errorf("cannot reach the store: %w", err)
	}
	return err
}
