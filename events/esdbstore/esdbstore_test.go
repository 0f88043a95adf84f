package esdbstore_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"hive/events"
	"hive/events/esdbstore"
	"hive/events/esdbstore/esdbdouble"
	"hive/events/storetest"
)

// realServerEnv names the environment variable holding the URL of a real
// EventStoreDB or KurrentDB server, against which the conformance suite
// then runs too (see README, "Stores").
const realServerEnv = "HIVE_TEST_ESDB_URL"

// limits are the guarantees EventStoreDB cannot honour in full, as the
// package documentation explains.
var limits = []storetest.Option{
	storetest.IDsCheckedPerStream(),
	storetest.ReplayWindow(esdbstore.DefaultReplayWindow),
}

func TestConformance(t *testing.T) {
	t.Run("Double", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, maxEventSize int) events.Store {
			return openStore(t, esdbstore.Config{URL: esdbdouble.Start(t).URL(), MaxEventSize: maxEventSize})
		}, limits...)
	})
	url := os.Getenv(realServerEnv)
	if url == "" {
		t.Logf("%s is not set: the suite ran against the double only", realServerEnv)
		return
	}
	t.Run("RealServer", func(t *testing.T) {
		storetest.Run(t, func(t *testing.T, maxEventSize int) events.Store {
			// Each test sees an empty store of its own in the server's
			// one database.
			prefix := "hivetest-" + uuid.NewString() + "-"
			return openStore(t, esdbstore.Config{URL: url, MaxEventSize: maxEventSize, StreamPrefix: prefix})
		}, limits...)
	})
}

// openStore opens a store, closed when the test ends.
func openStore(t testing.TB, cfg esdbstore.Config) *esdbstore.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := esdbstore.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open the store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
