package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"hive/events"
)

// testOrderingManyWriters is the ordering trap: many writers append to
// distinct streams at once while several subscribers follow the log live.
// A store whose positions become visible out of order (as positions from
// a sequence do, when transactions commit in another order than they took
// them) lets a subscriber read past a position that is still to commit,
// and skip it. Every subscriber must see exactly ReadAll's final
// sequence: strictly increasing positions, no gap, no duplicate.
func testOrderingManyWriters(t *testing.T, s events.Store) {
	const writers, perWriter, subscribers = 16, 30, 4
	ctx := ctxTimeout(t, 60*time.Second)
	last := NewEvents(t, "order-end", 1)
	var followers []*follower
	for range subscribers {
		sub, err := s.SubscribeAll(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		followers = append(followers, follow(ctx, sub, last[0].ID))
	}
	appendConcurrently(ctx, t, s, "order", writers, perWriter, nil)
	MustAppend(t, s, "order-end", events.NoStream(), last)
	want := readAll(t, s)
	for i, f := range followers {
		checkSameSequence(t, fmt.Sprintf("subscriber %d", i), f.wait(t), want)
	}
}

// testSubscribeMidStream subscribes after a position in the middle of the
// log while writers keep appending: the subscriber, reading as they
// write, sees exactly the events after that position, in order, from
// stored to live.
func testSubscribeMidStream(t *testing.T, s events.Store) {
	const writers, perWriter = 4, 40
	ctx := ctxTimeout(t, 60*time.Second)
	midway := make(chan struct{})
	var once sync.Once
	written := make(chan int, 1)
	go func() {
		written <- appendConcurrently(ctx, t, s, "mid", writers, perWriter, func(appended int) {
			if appended >= writers*perWriter/4 {
				once.Do(func() { close(midway) })
			}
		})
	}()
	select {
	case <-midway:
	case <-written:
		t.Fatal("the writers stopped before a quarter of their appends")
	}
	// Some events are stored, more are coming: start after the middle of
	// what is stored.
	stored := readAll(t, s)
	after := stored[len(stored)/2].Position
	sub, err := s.SubscribeAll(ctx, after)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	last := NewEvents(t, "mid-end", 1)
	f := follow(ctx, sub, last[0].ID)
	total := <-written
	MustAppend(t, s, "mid-end", events.NoStream(), last)
	var want []events.Envelope
	for _, e := range readAll(t, s) {
		if e.Position > after {
			want = append(want, e)
		}
	}
	if len(want) <= 1 || len(want) > total {
		t.Fatalf("%d of %d events are after position %d: not the middle", len(want), total+1, after)
	}
	checkSameSequence(t, "the mid-stream subscriber", f.wait(t), want)
}

// follower reads a subscription in a goroutine of its own until the event
// with the last id.
type follower struct {
	got  []events.Envelope
	err  error
	done chan struct{}
}

func follow(ctx context.Context, sub events.Subscription, last uuid.UUID) *follower {
	f := &follower{done: make(chan struct{})}
	go func() {
		defer close(f.done)
		for {
			e, err := sub.Next(ctx)
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

// wait returns what the follower read, failing t if it failed.
func (f *follower) wait(t *testing.T) []events.Envelope {
	t.Helper()
	<-f.done
	if f.err != nil {
		t.Fatalf("subscriber: %v", f.err)
	}
	return f.got
}

// appendConcurrently has writers append perWriter times each, one to
// three events at a time, each to a stream of its own, and returns how
// many events they appended. progress, if not nil, is told the count so
// far after every append.
func appendConcurrently(ctx context.Context, t *testing.T, s events.Store, prefix string, writers, perWriter int, progress func(int)) int {
	var mu sync.Mutex
	appended := 0
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("%s-%d", prefix, w)
			for i := range perWriter {
				n := 1 + (w+i)%3
				if _, err := s.Append(ctx, stream, events.Any(), NewEvents(t, stream, n)); err != nil {
					t.Errorf("%s append %d: %v", stream, i, err)
					return
				}
				mu.Lock()
				appended += n
				if progress != nil {
					progress(appended)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return appended
}

// checkSameSequence fails t unless got is want: the same events at the
// same positions, in the same order.
func checkSameSequence(t *testing.T, who string, got, want []events.Envelope) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s saw %d events, the log has %d", who, len(got), len(want))
		return
	}
	for i := range want {
		if i > 0 && got[i].Position <= got[i-1].Position {
			t.Errorf("%s: position %d after %d", who, got[i].Position, got[i-1].Position)
			return
		}
		if got[i].ID != want[i].ID || got[i].Position != want[i].Position {
			t.Errorf("%s: event %d is %s at %d, the log has %s at %d", who, i, got[i].ID, got[i].Position, want[i].ID, want[i].Position)
			return
		}
	}
}
