package main

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"hive/events"
	"hive/events/pebblestore"
	"hive/events/pgstore"
	"hive/events/pgstore/pgtest"
)

// storeCase is an event store the end-to-end tests run Hive on.
type storeCase struct {
	name string
	// url returns the --store URL of a new, empty store of t's own; ""
	// for the embedded store in the data dir.
	url func(t testing.TB) string
}

// storeCases are the stores the end-to-end tests run on: the embedded one,
// and a database of the test's own on the PostgreSQL cluster the test
// binary shares.
var storeCases = []storeCase{
	{name: "embedded", url: func(testing.TB) string { return "" }},
	{name: "postgres", url: func(t testing.TB) string { return pgtest.Shared(t).URL() }},
}

// forEachStore runs test once on each store case, as a subtest named for
// it, with a new, empty store of that kind.
func forEachStore(t *testing.T, test func(t *testing.T, st testStore)) {
	t.Helper()
	for _, sc := range storeCases {
		t.Run(sc.name, func(t *testing.T) { test(t, testStore{url: sc.url(t)}) })
	}
}

// testStore is the event store of one end-to-end test: the embedded store
// in its data dir, or the one its URL names.
type testStore struct {
	url string
}

// flags are the flags of hive serve and the log tools naming the store.
func (s testStore) flags() []string {
	if s.url == "" {
		return nil
	}
	return []string{"--store", s.url}
}

// in returns set, serving from the store.
func (s testStore) in(t testing.TB, set settings) settings {
	t.Helper()
	u, err := parseStoreURL(s.url)
	if err != nil {
		t.Fatal(err)
	}
	set.store = u
	return set
}

// open opens the store, whose server has stopped (or, for a shared
// store, still runs), to check what it holds; it is closed when the test
// ends.
func (s testStore) open(t testing.TB, dataDir string) events.Store {
	t.Helper()
	var store interface {
		events.Store
		Close() error
	}
	var err error
	if s.url == "" {
		store, err = pebblestore.Open(pebblestore.Config{Dir: filepath.Join(dataDir, "events")})
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		store, err = pgstore.Open(ctx, pgstore.Config{URL: s.url})
	}
	if err != nil {
		t.Fatalf("open the event store: %v", err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close the event store: %v", err)
		}
	})
	return store
}
