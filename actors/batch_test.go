package actors_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hive/actors"
	"hive/events"
	"hive/events/memstore"
)

// countingStore counts appends, delays each (as an fsync would), and fails
// them while fail is set.
type countingStore struct {
	actors.EventStore
	appends atomic.Int64
	fail    atomic.Bool
}

func (s *countingStore) Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	s.appends.Add(1)
	time.Sleep(2 * time.Millisecond)
	if s.fail.Load() {
		return events.AppendResult{}, errors.New("disk on fire")
	}
	return s.EventStore.Append(ctx, stream, expected, evs)
}

func TestConcurrentCommandsShareAppends(t *testing.T) {
	store := &countingStore{EventStore: memstore.New(0)}
	sys, _ := newSystem(t, store, actors.Config{})
	ref := actors.Ref{Kind: "counter", ID: "busy"}
	const n = 200
	var wg sync.WaitGroup
	results := make([]actors.Result, n)
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = sys.Ask(context.Background(), ref, actors.Command{ID: fmt.Sprint("c", i), Body: add{n: 1}, SkipState: true})
		}()
	}
	wg.Wait()
	versions := map[uint64]bool{}
	for i := range n {
		if errs[i] != nil || results[i].Events != 1 || results[i].LastPosition == 0 {
			t.Fatalf("command %d: %+v, %v", i, results[i], errs[i])
		}
		versions[results[i].LastVersion] = true
	}
	if len(versions) != n {
		t.Fatalf("%d distinct versions for %d commands", len(versions), n)
	}
	got, err := sys.Ask(context.Background(), ref, actors.Command{ID: "i", Body: actors.Inspect{}})
	if err != nil || got.State != int64(n) || got.LastVersion != n {
		t.Fatalf("after %d adds: %+v, %v", n, got, err)
	}
	if a := store.appends.Load(); a >= n {
		t.Fatalf("%d appends for %d concurrent commands: none shared", a, n)
	}
}

func TestFailedAppendFailsTheWholeBatchAndForgetsIt(t *testing.T) {
	store := &countingStore{EventStore: memstore.New(0)}
	sys, _ := newSystem(t, store, actors.Config{})
	ref := actors.Ref{Kind: "counter", ID: "unlucky"}
	if _, err := sys.Ask(context.Background(), ref, actors.Command{ID: "first", Body: add{n: 1}}); err != nil {
		t.Fatal(err)
	}
	store.fail.Store(true)
	var wg sync.WaitGroup
	var failed atomic.Int64
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := sys.Ask(context.Background(), ref, actors.Command{ID: fmt.Sprint("f", i), Body: add{n: 10}}); err != nil {
				failed.Add(1)
			}
		}()
	}
	wg.Wait()
	if failed.Load() != 20 {
		t.Fatalf("%d of 20 commands failed while the store failed every append", failed.Load())
	}
	store.fail.Store(false)
	res, err := sys.Ask(context.Background(), ref, actors.Command{ID: "after", Body: add{n: 1}})
	if err != nil || res.State != int64(2) || res.LastVersion != 2 {
		t.Fatalf("after the failures: %+v, %v; want the state of the durable events only (2 at version 2)", res, err)
	}
}
