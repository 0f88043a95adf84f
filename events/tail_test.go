package events_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hive/events"
	"hive/events/memstore"
	hivev1 "hive/proto/hive/v1"
)

// appendAgents appends n registrations, one per append, and returns the
// position of the last.
func appendAgents(t *testing.T, s events.Store, n int) uint64 {
	t.Helper()
	var last uint64
	for i := range n {
		ev, err := events.NewEvent(&hivev1.AgentRegistered{AgentId: fmt.Sprint("a", i), Name: fmt.Sprint("agent-", i)}, events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Append(context.Background(), fmt.Sprint("agent-", i%7), events.Any(), []events.Event{ev})
		if err != nil {
			t.Error(err)
			return last
		}
		last = res.LastPosition
	}
	return last
}

// runTail runs a tail of log with a ring of ring events (0: the default)
// from position after until the test ends.
func runTail(t *testing.T, log events.TailLog, ring int, after uint64) *events.Tail {
	t.Helper()
	tail, err := events.NewTail(log, events.TailConfig{Ring: ring})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tail.Run(ctx, after) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	})
	return tail
}

// readTo reads f until it has read the event at position last, and returns
// the positions it read and the events.
func readTo(t *testing.T, f *events.Follower, last uint64) ([]uint64, []*events.Committed) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []uint64
	var all, batch []*events.Committed
	for len(got) == 0 || got[len(got)-1] < last {
		var err error
		if batch, err = f.Next(ctx, batch[:0], 16); err != nil {
			t.Fatalf("Next after %v: %v", got[max(0, len(got)-3):], err)
		}
		for _, c := range batch {
			got = append(got, c.Position)
			all = append(all, c)
		}
	}
	return got, all
}

// positions lists the positions of the events of s after from, up to to.
func positions(t *testing.T, s events.Store, from, to uint64) []uint64 {
	t.Helper()
	envs, err := s.ReadAll(context.Background(), from, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, e := range envs {
		if e.Position <= to {
			out = append(out, e.Position)
		}
	}
	return out
}

func TestEveryFollowerGetsEveryEventOnceInOrder(t *testing.T) {
	for _, tc := range []struct {
		name string
		ring int
	}{
		{"a ring that holds everything", 10_000},
		{"a ring the followers fall behind", 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := memstore.New(0)
			before := positions(t, store, 0, appendAgents(t, store, 50))
			tail := runTail(t, store, tc.ring, before[49])
			// Followers starting at the beginning, behind the tail and at
			// it, reading a few events at a time while events keep coming.
			const more = 500
			starts := []int{0, 20, 50} // events before the start
			got := make([][]uint64, len(starts))
			var wg sync.WaitGroup
			for i, k := range starts {
				from := uint64(0)
				if k > 0 {
					from = before[k-1]
				}
				f := tail.Follow(from)
				wg.Go(func() {
					defer f.Close()
					got[i] = readN(t, f, 50+more-k)
				})
			}
			last := appendAgents(t, store, more)
			wg.Wait()
			all := positions(t, store, 0, last)
			for i, k := range starts {
				if !slices.Equal(got[i], all[k:]) {
					t.Fatalf("follower after %d events read %d events (%v...), want the %d after them, each once, in order", k, len(got[i]), got[i][:min(len(got[i]), 10)], len(all)-k)
				}
			}
		})
	}
}

// readN reads n events from f, two at a time, and returns their positions.
func readN(t *testing.T, f *events.Follower, n int) []uint64 {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got []uint64
	var batch []*events.Committed
	for len(got) < n {
		var err error
		if batch, err = f.Next(ctx, batch[:0], 2); err != nil {
			t.Errorf("Next after %d events: %v", len(got), err)
			return got
		}
		for _, c := range batch {
			got = append(got, c.Position)
		}
	}
	return got
}

func TestFollowersShareOneDecodedMessage(t *testing.T) {
	store := memstore.New(0)
	tail := runTail(t, store, 0, 0)
	a, b := tail.Follow(0), tail.Follow(0)
	defer a.Close()
	defer b.Close()
	// Both are caught up before the event commits: it reaches them
	// through the tail, as one Committed.
	readNone(t, a)
	readNone(t, b)
	last := appendAgents(t, store, 1)
	_, fromA := readTo(t, a, last)
	_, fromB := readTo(t, b, last)
	var wg sync.WaitGroup
	msgs := make([]any, 8)
	for i := range msgs {
		c := fromA[0]
		if i%2 == 1 {
			c = fromB[0]
		}
		wg.Go(func() {
			m, err := c.Message()
			if err != nil {
				t.Error(err)
			}
			msgs[i] = m
		})
	}
	wg.Wait()
	for _, m := range msgs {
		if r, ok := m.(*hivev1.AgentRegistered); !ok || r != msgs[0] || r.GetName() != "agent-0" {
			t.Fatalf("messages %v: want one AgentRegistered shared by all", msgs)
		}
	}
}

// readNone polls f, which must have nothing to read.
func readNone(t *testing.T, f *events.Follower) {
	t.Helper()
	got, err := f.Poll(context.Background(), nil, 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("Poll = %d events, %v; want none", len(got), err)
	}
}

// failingLog fails the first subscription's reads.
type failingLog struct {
	events.Store
	failed atomic.Bool
}

func (l *failingLog) SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error) {
	sub, err := l.Store.SubscribeAll(ctx, after)
	if err != nil || l.failed.Swap(true) {
		return sub, err
	}
	return failingSub{sub}, nil
}

type failingSub struct{ events.Subscription }

func (failingSub) Next(context.Context) (events.Envelope, error) {
	return events.Envelope{}, errors.New("the connection was lost")
}

func TestFollowersReadWhatTheTailFailedToRead(t *testing.T) {
	store := memstore.New(0)
	log := &failingLog{Store: store}
	tail := runTail(t, log, 0, 0)
	f := tail.Follow(0)
	defer f.Close()
	last := appendAgents(t, store, 30)
	if got, _ := readTo(t, f, last); !slices.Equal(got, positions(t, store, 0, last)) {
		t.Fatalf("read %v, want 1 to %d", got, last)
	}
	// And the tail follows the log again.
	readNone(t, f)
	before := last
	last = appendAgents(t, store, 1)
	if got, all := readTo(t, f, last); !slices.Equal(got, []uint64{last}) || all[0].Prev != before {
		t.Fatalf("read %v after the tail recovered, want %d", got, last)
	}
}

func TestNextEndsWhenTheTailStops(t *testing.T) {
	store := memstore.New(0)
	tail, err := events.NewTail(store, events.TailConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tail.Run(ctx, 0) }()
	f := tail.Follow(0)
	defer f.Close()
	last := appendAgents(t, store, 3)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	// What was committed is still read; then Next says the tail stopped.
	if got, _ := readTo(t, f, last); !slices.Equal(got, positions(t, store, 0, last)) {
		t.Fatalf("read %v, want 1 to %d", got, last)
	}
	if _, err := f.Next(context.Background(), nil, 10); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("Next after the tail stopped = %v, want ErrClosed", err)
	}
}

// outageLog is a store that, while down, fails every read with err, as a
// store whose server went away.
type outageLog struct {
	events.Store
	err   error
	down  atomic.Bool
	fails atomic.Int64 // reads failed
}

func (l *outageLog) ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error) {
	if l.down.Load() {
		l.fails.Add(1)
		return nil, l.err
	}
	return l.Store.ReadAll(ctx, after, limit)
}

func (l *outageLog) SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error) {
	sub, err := l.Store.SubscribeAll(ctx, after)
	return outageSub{Subscription: sub, log: l}, err
}

type outageSub struct {
	events.Subscription
	log *outageLog
}

func (s outageSub) Next(ctx context.Context) (events.Envelope, error) {
	env, err := s.Subscription.Next(ctx)
	if err == nil && s.log.down.Load() {
		return events.Envelope{}, s.log.err
	}
	return env, err
}

// TestFollowersWaitOutAnUnavailableStore: while the store cannot be
// reached, a follower's reads fail with ErrUnavailable, which it waits
// out, reading again after a pause, and then reads every event once, in
// order, as if nothing happened; any other failure is its reader's to
// handle.
func TestFollowersWaitOutAnUnavailableStore(t *testing.T) {
	t.Run("unavailable", func(t *testing.T) {
		store := memstore.New(0)
		log := &outageLog{Store: store, err: fmt.Errorf("connection refused: %w", events.ErrUnavailable)}
		tail := runTail(t, log, 0, 0)
		f := tail.Follow(0)
		defer f.Close()
		first := appendAgents(t, store, 20)
		readTo(t, f, first)
		log.down.Store(true)
		readNone(t, f)
		last := appendAgents(t, store, 20) // committed as the server went away
		type result struct {
			got []uint64
			err error
		}
		read := make(chan result, 1)
		go func() {
			var r result
			var batch []*events.Committed
			for len(r.got) == 0 || r.got[len(r.got)-1] < last {
				if batch, r.err = f.Next(context.Background(), batch[:0], 16); r.err != nil {
					break
				}
				for _, c := range batch {
					r.got = append(r.got, c.Position)
				}
			}
			read <- r
		}()
		for log.fails.Load() < 4 {
			select {
			case r := <-read:
				t.Fatalf("read %v, %v while the store could not be reached; want it to wait", r.got, r.err)
			case <-time.After(time.Millisecond):
			}
		}
		log.down.Store(false)
		if r := <-read; r.err != nil || !slices.Equal(r.got, positions(t, store, first, last)) {
			t.Fatalf("read %v, %v; want %d to %d once the store was back", r.got, r.err, first+1, last)
		}
	})
	t.Run("another failure", func(t *testing.T) {
		store := memstore.New(0)
		corrupt := errors.New("a corrupt row")
		log := &outageLog{Store: store, err: corrupt}
		log.down.Store(true)
		f := runTail(t, log, 0, 0).Follow(0)
		defer f.Close()
		if _, err := f.Poll(context.Background(), nil, 10); !errors.Is(err, corrupt) {
			t.Fatalf("Poll = %v, want the store's error", err)
		}
	})
}
