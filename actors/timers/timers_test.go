package timers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/timers"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func agentKind() timers.Kind {
	return timers.Kind{Name: agent.Kind, Deadlines: agent.Deadlines, Wake: func(now time.Time) actors.Body { return agent.CheckLiveness{Now: now} }}
}

// envelope is msg as the event at position pos of stream, as the runner
// hands it to the index.
func envelope(t testing.TB, stream string, pos uint64, msg proto.Message) *events.Committed {
	t.Helper()
	e, err := events.NewEvent(msg, events.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	return events.NewCommitted(events.Envelope{ID: e.ID, Stream: stream, Position: pos, Type: e.Type, SchemaVersion: e.SchemaVersion, Payload: e.Payload}, pos-1)
}

func TestIndexFollowsDeadlinesInEvents(t *testing.T) {
	ix := timers.NewIndex(agentKind())
	a, b := agent.IDFor("a"), agent.IDFor("b")
	for i, e := range []*events.Committed{
		envelope(t, "agent-"+a, 1, &hivev1.AgentRegistered{AgentId: a, DeadlineUnixNano: t0.UnixNano()}),
		envelope(t, "agent-"+b, 3, &hivev1.AgentRegistered{AgentId: b, DeadlineUnixNano: t0.Add(time.Minute).UnixNano()}),
		envelope(t, "swarm-x", 4, &hivev1.AgentLost{}), // a kind the index does not know
		envelope(t, "agent-"+a, 7, &hivev1.AgentHeartbeatExtended{AgentId: a, DeadlineUnixNano: t0.Add(2 * time.Minute).UnixNano()}),
	} {
		if err := ix.Apply(e); err != nil {
			t.Fatalf("apply %d: %v", i, err)
		}
	}
	if ix.Checkpoint() != 7 || ix.Len() != 2 {
		t.Fatalf("checkpoint %d, %d timers; want 7, 2", ix.Checkpoint(), ix.Len())
	}
	if next, ok := ix.Next(); !ok || !next.Equal(t0.Add(time.Minute)) {
		t.Errorf("next = %v, %v; want b's deadline t0+1m", next, ok)
	}
	if due := ix.Claim(t0, t0.Add(time.Second)); len(due) != 0 {
		t.Errorf("due at t0 after a's extension: %v", due)
	}
	at, retry := t0.Add(time.Minute), t0.Add(time.Minute+time.Second)
	if due := ix.Claim(at, retry); !slices.Equal(due, []actors.Ref{{Kind: agent.Kind, ID: b}}) {
		t.Errorf("due at t0+1m = %v, want b", due)
	}
	if due := ix.Claim(at, retry); len(due) != 0 {
		t.Errorf("claimed again before the retry: %v", due)
	}
	if due := ix.Claim(retry, retry.Add(time.Second)); !slices.Equal(due, []actors.Ref{{Kind: agent.Kind, ID: b}}) {
		t.Errorf("due at the retry = %v, want b again: its deadline is still set", due)
	}
	if err := ix.Apply(envelope(t, "agent-"+b, 8, &hivev1.AgentLost{AgentId: b})); err != nil {
		t.Fatal(err)
	}
	if due := ix.Claim(retry.Add(time.Second), retry.Add(2*time.Second)); len(due) != 0 || ix.Len() != 1 {
		t.Errorf("after b was lost: due %v, %d timers", due, ix.Len())
	}
	if next, ok := ix.Next(); !ok || !next.Equal(t0.Add(2*time.Minute)) {
		t.Errorf("next = %v, %v; want a's deadline t0+2m", next, ok)
	}
}

// TestIndexSaysWhenTheEarliestDeadlineChanges: an event that sets an
// earlier deadline than every other (or cancels the earliest) is announced
// on Changed; one that sets a later deadline is not.
func TestIndexSaysWhenTheEarliestDeadlineChanges(t *testing.T) {
	ix := timers.NewIndex(agentKind())
	a, b := agent.IDFor("a"), agent.IDFor("b")
	changed := func() bool {
		select {
		case <-ix.Changed():
			return true
		default:
			return false
		}
	}
	steps := []struct {
		name string
		env  *events.Committed
		want bool
	}{
		{"first deadline", envelope(t, "agent-"+a, 1, &hivev1.AgentRegistered{AgentId: a, DeadlineUnixNano: t0.Add(time.Minute).UnixNano()}), true},
		{"a later one", envelope(t, "agent-"+b, 2, &hivev1.AgentRegistered{AgentId: b, DeadlineUnixNano: t0.Add(2 * time.Minute).UnixNano()}), false},
		{"an earlier one", envelope(t, "agent-"+b, 3, &hivev1.AgentHeartbeatExtended{AgentId: b, DeadlineUnixNano: t0.UnixNano()}), true},
		{"the earliest cancelled", envelope(t, "agent-"+b, 4, &hivev1.AgentLost{AgentId: b}), true},
		{"another kind's event", envelope(t, "swarm-x", 5, &hivev1.AgentLost{}), false},
	}
	for _, st := range steps {
		if err := ix.Apply(st.env); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := changed(); got != st.want {
			t.Errorf("%s: changed = %v, want %v", st.name, got, st.want)
		}
	}
}

// recorder is a fake Commands that records what it was asked.
type recorder struct {
	mu     sync.Mutex
	asked  []actors.Ref
	bodies []actors.Body
}

func (r *recorder) Ask(_ context.Context, ref actors.Ref, cmd actors.Command) (actors.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.asked = append(r.asked, ref)
	r.bodies = append(r.bodies, cmd.Body)
	return actors.Result{}, nil
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.asked)
}

func TestWatcherWakesDueEntities(t *testing.T) {
	ix := timers.NewIndex(agentKind())
	a := agent.IDFor("a")
	past := time.Now().Add(-time.Second)
	if err := ix.Apply(envelope(t, "agent-"+a, 1, &hivev1.AgentRegistered{AgentId: a, DeadlineUnixNano: past.UnixNano()})); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{}
	w, err := timers.NewWatcher(timers.Config{Interval: time.Millisecond}, ix, rec, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	deadline := time.Now().Add(5 * time.Second)
	for rec.count() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.asked) == 0 || rec.asked[0] != (actors.Ref{Kind: agent.Kind, ID: a}) {
		t.Fatalf("asked %v, want agent %s woken", rec.asked, a)
	}
	if c, ok := rec.bodies[0].(agent.CheckLiveness); !ok || c.Now.Before(past) {
		t.Errorf("wake-up command = %#v", rec.bodies[0])
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := timers.NewWatcher(timers.Config{Interval: -1, Parallel: -1}, timers.NewIndex(), &recorder{}, nil); err == nil {
		t.Fatal("negative settings accepted")
	}
}

// fullDisk is a fake Commands refusing every command as a full disk does.
type fullDisk struct{ asked atomic.Int32 }

func (f *fullDisk) Ask(context.Context, actors.Ref, actors.Command) (actors.Result, error) {
	f.asked.Add(1)
	return actors.Result{}, fmt.Errorf("agent: append: %w", events.ErrNoSpace)
}

// TestWakeUpsRefusedByAFullDiskDoNotFloodTheLog: while the disk is full,
// the watcher retries a due wake-up every Interval; the store says once
// that the disk is full, so the refusals are not warned about each time.
func TestWakeUpsRefusedByAFullDiskDoNotFloodTheLog(t *testing.T) {
	ix := timers.NewIndex(agentKind())
	a := agent.IDFor("a")
	if err := ix.Apply(envelope(t, "agent-"+a, 1, &hivev1.AgentRegistered{AgentId: a, DeadlineUnixNano: time.Now().Add(-time.Second).UnixNano()})); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	var mu sync.Mutex
	f := &fullDisk{}
	w, err := timers.NewWatcher(timers.Config{Interval: time.Millisecond}, ix, f, slog.New(slog.NewTextHandler(lockedWriter{&mu, &logged}, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	for deadline := time.Now().Add(5 * time.Second); f.asked.Load() < 5; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("fewer than 5 wake-ups in 5 s")
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if logged.Len() > 0 {
		t.Errorf("wake-ups refused by a full disk were warned about:\n%s", logged.String())
	}
}

// lockedWriter serializes writes to w.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
