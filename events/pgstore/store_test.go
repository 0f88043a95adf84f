package pgstore_test

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"hive/events"
	"hive/events/pgstore"
	"hive/events/pgstore/pgtest"
	"hive/events/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// open opens a store, closed when t ends; without a URL, on an empty
// database of the shared cluster (see emptyDatabase).
func open(t testing.TB, cfg pgstore.Config) *pgstore.Store {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = emptyDatabase(t)
	}
	s, err := pgstore.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// recycled are databases of the shared cluster that tests have finished
// with, emptied of events, for the next test to take: creating a database
// and migrating it costs half a second of a loaded machine's time, which
// the suite's three dozen cases would pay each.
var recycled struct {
	sync.Mutex
	urls []string
}

// emptyDatabase returns the URL of a migrated database holding no events
// and no snapshots, or of a new database, for t alone. When t ends, after
// the stores t opened have closed, the database is emptied and recycled.
// Tests of migrations and of Open use pgtest.Shared instead.
func emptyDatabase(t testing.TB) string {
	t.Helper()
	recycled.Lock()
	var url string
	if n := len(recycled.urls); n > 0 {
		url, recycled.urls = recycled.urls[n-1], recycled.urls[:n-1]
	}
	recycled.Unlock()
	if url == "" {
		url = pgtest.Shared(t).URL()
	}
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Errorf("recycle the database: %v", err)
			return
		}
		defer conn.Close(ctx)
		// Fails, and the database is not recycled, if no store migrated it.
		if _, err := conn.Exec(ctx, "TRUNCATE hive.events, hive.streams, hive.snapshots; UPDATE hive.head SET position = 0"); err != nil {
			return
		}
		recycled.Lock()
		recycled.urls = append(recycled.urls, url)
		recycled.Unlock()
	})
	return url
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, maxEventSize int) events.Store {
		return open(t, pgstore.Config{MaxEventSize: maxEventSize})
	})
}

// openConn connects to url, closed when t ends.
func openConn(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}
