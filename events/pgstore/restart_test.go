package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"hive/events"
	"hive/events/pgstore"
	"hive/events/pgstore/pgtest"
	"hive/events/storetest"
)

// TestServerRestartUnderLoad stops and starts PostgreSQL under writers
// and a subscriber. Appends during the outage fail with ErrUnavailable
// (never success, never another error), and each writer retries its
// append, with the same event ids, until it is acknowledged; the store
// works again without being reopened; every acknowledged event is in the
// log exactly once; and a subscriber following since before the outage,
// and one started during it (whose reads fail until the server is back),
// retrying Next, each see the log with no gap and no duplicate.
func TestServerRestartUnderLoad(t *testing.T) {
	srv := pgtest.Start(t)
	s := open(t, pgstore.Config{URL: srv.URL(), ConnectTimeout: time.Second, WriteTimeout: 5 * time.Second, PollInterval: 200 * time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sub, err := s.SubscribeAll(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	last := storetest.NewEvents(t, "restart-end", 1)
	f := followThroughOutage(ctx, sub, last[0].ID)

	w := startWriters(ctx, t, s, 8)
	waitFor(ctx, t, "appends before the restart", func() bool { return w.acked.Load() >= 100 })
	srv.Stop()
	waitFor(ctx, t, "an append to fail while the server is down", func() bool { return w.unavailable.Load() > 0 })
	// A subscription started during the outage fails to read, and reads
	// once the server is back.
	lateSub, err := s.SubscribeAll(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer lateSub.Close()
	late := followThroughOutage(ctx, lateSub, last[0].ID)
	waitFor(ctx, t, "a read to fail while the server is down", func() bool { return late.unavailable.Load() > 0 })
	srv.Start()
	resumed := w.acked.Load()
	waitFor(ctx, t, "appends after the restart", func() bool { return w.acked.Load() >= resumed+100 })
	w.stop()
	storetest.MustAppend(t, s, "restart-end", events.NoStream(), last)

	t.Logf("%d appends acknowledged, %d failed as unavailable and were retried", w.acked.Load(), w.unavailable.Load())
	for _, err := range w.errs {
		t.Errorf("append failed otherwise than unavailable: %v", err)
	}
	log := readLog(ctx, t, s)
	checkAcknowledged(t, log, w.ids())
	for _, sub := range []struct {
		name string
		f    *outageFollower
	}{{"the subscriber", f}, {"the subscriber started during the outage", late}} {
		got := sub.f.wait(t)
		if len(got) != len(log) {
			t.Fatalf("%s saw %d events, the log has %d", sub.name, len(got), len(log))
		}
		for i := range log {
			if got[i].ID != log[i].ID || got[i].Position != log[i].Position {
				t.Fatalf("event %d: %s saw %s at %d, the log has %s at %d", i, sub.name, got[i].ID, got[i].Position, log[i].ID, log[i].Position)
			}
		}
	}
}

// writers append to streams of their own until stopped, retrying an
// append that failed as unavailable with the same events until it is
// acknowledged.
type writers struct {
	acked, unavailable atomic.Int64
	stop               func()

	mu     sync.Mutex
	ackIDs []uuid.UUID
	errs   []error
}

func startWriters(ctx context.Context, t *testing.T, s events.Store, n int) *writers {
	w := &writers{}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("restart-%d", i)
			for ctx.Err() == nil {
				w.appendUntilAcked(ctx, s, stream, storetest.NewEvents(t, stream, 1+i%2))
			}
		}()
	}
	w.stop = func() {
		cancel()
		wg.Wait()
	}
	return w
}

func (w *writers) appendUntilAcked(ctx context.Context, s events.Store, stream string, evs []events.Event) {
	for {
		_, err := s.Append(ctx, stream, events.Any(), evs)
		switch {
		case err == nil:
			w.mu.Lock()
			for _, e := range evs {
				w.ackIDs = append(w.ackIDs, e.ID)
			}
			w.mu.Unlock()
			w.acked.Add(1)
			return
		case ctx.Err() != nil:
			return // stopped: the append may or may not be stored
		case errors.Is(err, events.ErrUnavailable):
			w.unavailable.Add(1)
			pause(ctx, 20*time.Millisecond) // as a client backs off
		default:
			w.mu.Lock()
			w.errs = append(w.errs, err)
			w.mu.Unlock()
			return
		}
	}
}

func (w *writers) ids() []uuid.UUID {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]uuid.UUID(nil), w.ackIDs...)
}

// outageFollower reads a subscription until the event with the last id,
// calling Next again after an ErrUnavailable, as a projection does.
type outageFollower struct {
	got         []events.Envelope
	unavailable atomic.Int64
	err         error
	done        chan struct{}
}

func followThroughOutage(ctx context.Context, sub events.Subscription, last uuid.UUID) *outageFollower {
	f := &outageFollower{done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for {
			e, err := sub.Next(ctx)
			if errors.Is(err, events.ErrUnavailable) {
				f.unavailable.Add(1)
				pause(ctx, 20*time.Millisecond)
				continue
			}
			if err != nil {
				f.err = fmt.Errorf("after %d events: %w", len(f.got), err)
				return
			}
			f.got = append(f.got, e)
			if e.ID == last {
				return
			}
		}
	}()
	return f
}

func (f *outageFollower) wait(t *testing.T) []events.Envelope {
	t.Helper()
	<-f.done
	if f.err != nil {
		t.Fatalf("subscriber: %v", f.err)
	}
	return f.got
}

// checkAcknowledged fails t unless every acknowledged id is in the log
// exactly once and every stream's chain verifies.
func checkAcknowledged(t *testing.T, log []events.Envelope, acked []uuid.UUID) {
	t.Helper()
	count := make(map[uuid.UUID]int, len(log))
	streams := make(map[string][]events.Envelope)
	for _, e := range log {
		count[e.ID]++
		streams[e.Stream] = append(streams[e.Stream], e)
	}
	for _, id := range acked {
		if count[id] != 1 {
			t.Errorf("acknowledged event %s is in the log %d times", id, count[id])
		}
	}
	for name, envs := range streams {
		if err := events.VerifyChain(envs); err != nil {
			t.Errorf("stream %s: %v", name, err)
		}
	}
}

// readLog reads the whole log.
func readLog(ctx context.Context, t *testing.T, s events.Store) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	var after uint64
	for {
		page, err := s.ReadAll(ctx, after, events.MaxReadLimit)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].Position
	}
}

// waitFor polls cond until it holds, failing t if ctx ends first.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		if !pause(ctx, 10*time.Millisecond) {
			t.Fatalf("gave up waiting for %s", what)
		}
	}
}

// pause waits for d unless ctx ends first, and reports whether ctx is
// still live.
func pause(ctx context.Context, d time.Duration) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}
