package timers_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/timers"
	hivev1 "hive/proto/hive/v1"
)

// fakeClock is a Clock that moves only when told.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits []fakeWait
	// armed is when the latest wait ends: what the watcher waits for.
	armed time.Time
}

type fakeWait struct {
	at time.Time
	ch chan time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	c.armed = c.now.Add(d)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.waits = append(c.waits, fakeWait{at: c.armed, ch: ch})
	return ch
}

// set moves the clock to at, ending the waits due by then.
func (c *fakeClock) set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = at
	kept := c.waits[:0]
	for _, w := range c.waits {
		if w.at.After(at) {
			kept = append(kept, w)
			continue
		}
		w.ch <- at
	}
	c.waits = kept
}

// awaitArmed waits until the watcher waits for at, failing after a while.
func (c *fakeClock) awaitArmed(t *testing.T, at time.Time) {
	t.Helper()
	for give := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		c.mu.Lock()
		armed := c.armed
		c.mu.Unlock()
		if armed.Equal(at) {
			return
		}
		if time.Now().After(give) {
			t.Fatalf("the watcher waits for %v, want %v", armed, at)
		}
	}
}

// wakeups is a Commands that passes on what it is asked.
type wakeups chan actors.Command

func (w wakeups) Ask(_ context.Context, _ actors.Ref, cmd actors.Command) (actors.Result, error) {
	w <- cmd
	return actors.Result{}, nil
}

// next returns the next wake-up's time, failing if none comes.
func (w wakeups) next(t *testing.T) time.Time {
	t.Helper()
	select {
	case cmd := <-w:
		return cmd.Body.(agent.CheckLiveness).Now
	case <-time.After(5 * time.Second):
		t.Fatal("no wake-up")
		return time.Time{}
	}
}

func (w wakeups) none(t *testing.T) {
	t.Helper()
	select {
	case cmd := <-w:
		t.Fatalf("unexpected wake-up %#v", cmd.Body)
	default:
	}
}

// TestWatcherWakesAtTheDeadline: with a clock moved by hand, the watcher
// waits for exactly the earliest deadline, also one set while it waits,
// wakes the entity with that time, wakes it again an Interval later while
// its deadline stays set, and never before a deadline.
func TestWatcherWakesAtTheDeadline(t *testing.T) {
	clock := &fakeClock{now: t0}
	ix := timers.NewIndex(agentKind())
	a, b := agent.IDFor("a"), agent.IDFor("b")
	deadline := func(id string, pos uint64, at time.Time) {
		t.Helper()
		if err := ix.Apply(envelope(t, "agent-"+id, pos, &hivev1.AgentHeartbeatExtended{AgentId: id, DeadlineUnixNano: at.UnixNano()})); err != nil {
			t.Fatal(err)
		}
	}
	deadline(a, 1, t0.Add(3*time.Second))
	woken := make(wakeups, 16)
	const retry = 500 * time.Millisecond
	w, err := timers.NewWatcher(timers.Config{Interval: retry, Clock: clock}, ix, woken, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	clock.awaitArmed(t, t0.Add(3*time.Second))
	deadline(b, 2, t0.Add(time.Second)) // earlier than a's, set while the watcher waits
	clock.awaitArmed(t, t0.Add(time.Second))
	clock.set(t0.Add(time.Second - time.Nanosecond))
	woken.none(t)

	clock.set(t0.Add(time.Second))
	if at := woken.next(t); !at.Equal(t0.Add(time.Second)) {
		t.Errorf("b woken at %v, want its deadline %v", at, t0.Add(time.Second))
	}
	clock.awaitArmed(t, t0.Add(time.Second+retry)) // b's deadline stays set
	woken.none(t)
	clock.set(t0.Add(time.Second + retry))
	if at := woken.next(t); !at.Equal(t0.Add(time.Second + retry)) {
		t.Errorf("b woken again at %v, want an Interval later", at)
	}

	if err := ix.Apply(envelope(t, "agent-"+b, 3, &hivev1.AgentLost{AgentId: b})); err != nil {
		t.Fatal(err)
	}
	clock.awaitArmed(t, t0.Add(3*time.Second))
	clock.set(t0.Add(3 * time.Second))
	if at := woken.next(t); !at.Equal(t0.Add(3 * time.Second)) {
		t.Errorf("a woken at %v, want its deadline %v", at, t0.Add(3*time.Second))
	}
	woken.none(t)
}
