package storetest

import (
	"context"
	"sync"
	"testing"

	"hive/events"
)

// testIdempotentBatchRetry retries a whole append of several events, as a
// caller whose reply was lost does: after another append to the same
// stream, with any expected version, and many times at once. Every retry
// returns the original result and writes nothing.
func testIdempotentBatchRetry(t *testing.T, s events.Store) {
	ctx := context.Background()
	batch := NewEvents(t, "retry", 3)
	first := MustAppend(t, s, "retry", events.NoStream(), batch)
	MustAppend(t, s, "retry", events.Exact(3), NewEvents(t, "retry", 1)) // someone else's append
	before := head(t, s)
	for _, exp := range []events.ExpectedVersion{events.NoStream(), events.Exact(0), events.Exact(3), events.Exact(4), events.StreamExists(), events.Any()} {
		again, err := s.Append(ctx, "retry", exp, batch)
		if err != nil {
			t.Errorf("retry with %s after another append: %v", exp, err)
			continue
		}
		if again != first {
			t.Errorf("retry with %s = %+v, want the original %+v", exp, again, first)
		}
	}
	if h := head(t, s); h != before {
		t.Errorf("retries moved the head from %d to %d", before, h)
	}
	got := readStream(t, s, "retry")
	if len(got) != 4 {
		t.Fatalf("stream has %d events after the retries, want 4", len(got))
	}
	for i, e := range batch {
		if got[i].ID != e.ID {
			t.Errorf("version %d is %s, want the batch's %s", i+1, got[i].ID, e.ID)
		}
	}
	testConcurrentRetries(t, s)
}

// testConcurrentRetries appends one batch from many goroutines at once:
// it is written once, and every caller gets the same result.
func testConcurrentRetries(t *testing.T, s events.Store) {
	const callers = 12
	batch := NewEvents(t, "retry-race", 4)
	results := make([]events.AppendResult, callers)
	errs := make([]error, callers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = s.Append(context.Background(), "retry-race", events.NoStream(), batch)
		}()
	}
	close(start)
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: %v", i, errs[i])
		}
		if results[i] != results[0] {
			t.Errorf("caller %d got %+v, caller 0 %+v", i, results[i], results[0])
		}
	}
	if got := readStream(t, s, "retry-race"); len(got) != len(batch) || results[0].LastVersion != uint64(len(batch)) {
		t.Errorf("stream has %d events, result says version %d; want %d once", len(got), results[0].LastVersion, len(batch))
	}
}
