package projections_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"hive/events"
	"hive/events/memstore"
	"hive/projections"
	hivev1 "hive/proto/hive/v1"
)

func appendRegistered(t *testing.T, s events.Store, name string) events.AppendResult {
	t.Helper()
	ev, err := events.NewEvent(&hivev1.AgentRegistered{AgentId: "id-" + name, Name: name, Capabilities: []string{"code"}, MaxConcurrency: 2}, events.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Append(context.Background(), "agent-id-"+name, events.NoStream(), []events.Event{ev})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// start runs a runner over store in the background until the test ends.
func start(t *testing.T, store events.Store, ps ...projections.Projection) (*projections.Runner, *prometheus.Registry, chan error) {
	t.Helper()
	reg := prometheus.NewRegistry()
	r, err := projections.NewRunner(store, slog.New(slog.NewTextHandler(io.Discard, nil)), reg, ps...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return r, reg, done
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestAgentsReadModelCatchesUpAndFollows(t *testing.T) {
	store := memstore.New(0)
	for i := 0; i < 5; i++ {
		appendRegistered(t, store, fmt.Sprintf("before-%d", i))
	}
	agents := projections.NewAgents()
	r, _, _ := start(t, store, agents)
	if err := r.WaitFor(waitCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	last := appendRegistered(t, store, "after")
	if err := r.WaitFor(waitCtx(t), last.LastPosition); err != nil {
		t.Fatal(err)
	}
	if err := r.Ready(); err != nil {
		t.Fatalf("not ready after catching up: %v", err)
	}
	list, _ := agents.Page(0, 100, func(*projections.Agent) bool { return true })
	if len(list) != 6 || list[0].Name != "before-0" || list[5].Name != "after" {
		t.Fatalf("list = %+v", list)
	}
	got, ok := agents.Get("id-after")
	if !ok || got.Status != "idle" || got.MaxConcurrency != 2 || got.Capabilities[0] != "code" || got.RegisteredAt.IsZero() {
		t.Fatalf("Get = %+v, %v", got, ok)
	}
	if _, ok := agents.Get("nope"); ok {
		t.Fatal("found an agent that was never registered")
	}
}

func TestNotReadyBeforeCatchingUp(t *testing.T) {
	reg := prometheus.NewRegistry()
	r, err := projections.NewRunner(memstore.New(0), slog.New(slog.NewTextHandler(io.Discard, nil)), reg, projections.NewAgents())
	if err != nil {
		t.Fatal(err)
	}
	if r.Ready() == nil {
		t.Fatal("ready before running")
	}
}

func TestPoisonedEventStopsTheProjectionVisibly(t *testing.T) {
	store := memstore.New(0)
	good := appendRegistered(t, store, "good")
	poison := events.Event{ID: mustID(t), Type: "hive.v1.AgentRegistered", SchemaVersion: 1, Payload: []byte{0xff, 0xff, 0xff}}
	if _, err := store.Append(context.Background(), "agent-poison", events.NoStream(), []events.Event{poison}); err != nil {
		t.Fatal(err)
	}
	appendRegistered(t, store, "later")
	agents := projections.NewAgents()
	r, reg, done := start(t, store, agents)
	var err error
	select {
	case err = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("runner did not stop on a poisoned event")
	}
	if !errors.Is(err, projections.ErrFailed) || !strings.Contains(err.Error(), "agent-poison version 1") {
		t.Fatalf("Run = %v, want ErrFailed naming agent-poison version 1", err)
	}
	if err := r.Ready(); err == nil || !strings.Contains(err.Error(), "agent-poison version 1") {
		t.Errorf("Ready with a failed projection = %v, want the event named", err)
	}
	if lag := r.Lag(); len(lag) != 1 || !strings.Contains(lag[0].Error, "agent-poison version 1") || lag[0].BehindPositions == 0 {
		t.Errorf("Lag = %+v, want the failure and the distance to the head", lag)
	}
	if cp := agents.Checkpoint(); cp != good.LastPosition {
		t.Errorf("checkpoint %d, want it to stay at %d, before the poisoned event", cp, good.LastPosition)
	}
	if _, ok := agents.Get("id-later"); ok {
		t.Error("the projection skipped the poisoned event")
	}
	want := "# HELP hive_projection_failed 1 if a projection stopped on an event it could not apply.\n# TYPE hive_projection_failed gauge\nhive_projection_failed{projection=\"agents\"} 1\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hive_projection_failed"); err != nil {
		t.Error(err)
	}
	// Let the cleanup's <-done return.
	go func() { done <- nil }()
}

func mustID(t *testing.T) [16]byte {
	id, err := events.NewEventID()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestWaitForWakesEachWaiterAtItsPosition(t *testing.T) {
	store := memstore.New(0)
	agents := projections.NewAgents()
	r, _, _ := start(t, store, agents)
	const n = 40
	positions := make([]uint64, n)
	for i := range positions {
		positions[i] = appendRegistered(t, store, fmt.Sprintf("w-%d", i)).LastPosition
	}
	errs := make(chan error, n)
	for _, pos := range positions {
		go func() {
			err := r.WaitFor(waitCtx(t), pos)
			if err == nil && agents.Checkpoint() < pos {
				err = fmt.Errorf("woken at %d before reaching %d", agents.Checkpoint(), pos)
			}
			errs <- err
		}()
	}
	for range positions {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	// A wait beyond the head ends with its context.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.WaitFor(ctx, positions[n-1]+1000); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("WaitFor beyond the head = %v, want DeadlineExceeded", err)
	}
}
