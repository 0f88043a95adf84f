package pgstore_test

import (
	"context"
	"os"
	"testing"

	"hive/events"
	"hive/events/pgstore"
	"hive/events/pgstore/pgtest"
	"hive/events/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// open opens a store on a new database of the shared cluster, closed when
// t ends.
func open(t testing.TB, cfg pgstore.Config) *pgstore.Store {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = pgtest.Shared(t).URL()
	}
	s, err := pgstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, maxEventSize int) events.Store {
		return open(t, pgstore.Config{MaxEventSize: maxEventSize})
	})
}
