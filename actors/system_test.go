package actors_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"hive/actors"
	"hive/actors/agent"
	"hive/events"
	"hive/events/memstore"
)

// counter is a test entity: Add appends the amount, Boom panics.
type counter struct{ total int64 }

type add struct {
	n    int64
	boom bool
}

func (add) CommandName() string { return "Add" }

func (c *counter) Apply(_ *events.Envelope, msg proto.Message) error {
	c.total += msg.(*wrapperspb.Int64Value).GetValue()
	return nil
}

func (c counter) Decide(cmd any) ([]proto.Message, error) {
	a := cmd.(add)
	if a.boom {
		panic("boom")
	}
	if a.n == 0 {
		return nil, nil
	}
	return []proto.Message{wrapperspb.Int64(a.n)}, nil
}

func (c *counter) View() any { return c.total }

func (c *counter) Snapshot() (proto.Message, error) { return wrapperspb.Int64(c.total), nil }

func (c *counter) Restore(msg proto.Message, _ uint64) error {
	c.total = msg.(*wrapperspb.Int64Value).GetValue()
	return nil
}

var counterKind = actors.Kind{Name: "counter", New: func() actors.Entity { return &counter{} }}

var agentKind = actors.Kind{Name: agent.Kind, New: func() actors.Entity { return &agent.State{} }}

func newSystem(t *testing.T, store actors.EventStore, cfg actors.Config) (*actors.System, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	sys, err := actors.New(cfg, store, []actors.Kind{agentKind, counterKind}, logger, reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Shutdown)
	return sys, reg
}

func register(sys *actors.System, name string) (actors.Result, error) {
	return sys.Ask(context.Background(), actors.Ref{Kind: agent.Kind, ID: agent.IDFor(name)}, actors.Command{
		ID: "cmd-" + name, Principal: "tester", Body: agent.Register{Name: name, Capabilities: []string{"code"}},
	})
}

func TestRegisterAppendsAndReplies(t *testing.T) {
	store := memstore.New(0)
	sys, reg := newSystem(t, store, actors.Config{})
	res, err := register(sys, "coder")
	if err != nil {
		t.Fatal(err)
	}
	state, ok := res.State.(agent.State)
	if !ok || state.Name != "coder" || state.Status != agent.StatusIdle || res.Events != 1 || res.LastVersion != 1 {
		t.Fatalf("result = %+v", res)
	}
	stream := actors.Ref{Kind: agent.Kind, ID: agent.IDFor("coder")}.Stream()
	got, err := store.ReadStream(context.Background(), stream, 1, events.Forward, 10)
	if err != nil || len(got) != 1 {
		t.Fatalf("stream %s: %d events, %v", stream, len(got), err)
	}
	e := got[0]
	if e.Type != "hive.v1.AgentRegistered" || e.CausationID != "cmd-coder" || e.CorrelationID != "cmd-coder" || e.Principal != "tester" {
		t.Errorf("recorded event = %+v", e)
	}
	if res.LastPosition != e.Position {
		t.Errorf("LastPosition = %d, want %d", res.LastPosition, e.Position)
	}
	if n := testutil.ToFloat64(commandsCounter(t, reg, "agent", "RegisterAgent", "accepted")); n != 1 {
		t.Errorf("accepted RegisterAgent counted %v times", n)
	}
}

func commandsCounter(t *testing.T, reg *prometheus.Registry, kind, cmd, outcome string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "x"})
	for _, mf := range mfs {
		if mf.GetName() != "hive_commands_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["kind"] == kind && labels["command"] == cmd && labels["outcome"] == outcome {
				c.Add(m.GetCounter().GetValue())
			}
		}
	}
	return c
}

func TestDuplicateNameIsRejectedAfterRestart(t *testing.T) {
	store := memstore.New(0)
	sys, _ := newSystem(t, store, actors.Config{})
	if _, err := register(sys, "dup"); err != nil {
		t.Fatal(err)
	}
	if _, err := register(sys, "dup"); !errors.Is(err, agent.ErrAlreadyRegistered) {
		t.Fatalf("second registration: %v, want ErrAlreadyRegistered", err)
	}
	// A new runtime over the same store recovers the agent from its stream.
	sys2, reg2 := newSystem(t, store, actors.Config{})
	if _, err := register(sys2, "dup"); !errors.Is(err, agent.ErrAlreadyRegistered) {
		t.Fatalf("registration after restart: %v, want ErrAlreadyRegistered", err)
	}
	if n := testutil.ToFloat64(commandsCounter(t, reg2, "agent", "RegisterAgent", "rejected")); n != 1 {
		t.Errorf("rejected RegisterAgent counted %v times", n)
	}
}

func TestConcurrentRegistrationsOfOneNameDecideOnce(t *testing.T) {
	store := memstore.New(0)
	sys, _ := newSystem(t, store, actors.Config{})
	const n = 32
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := register(sys, "contended")
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok := 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, agent.ErrAlreadyRegistered):
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d registrations succeeded, want 1", ok)
	}
}

func ask(t *testing.T, sys *actors.System, id string, cmd add) (actors.Result, error) {
	t.Helper()
	return sys.Ask(context.Background(), actors.Ref{Kind: "counter", ID: id}, actors.Command{ID: fmt.Sprint("c", cmd.n), Body: cmd})
}

func TestPanicRestartsFromTheStream(t *testing.T) {
	sys, reg := newSystem(t, memstore.New(0), actors.Config{})
	if _, err := ask(t, sys, "p", add{n: 5}); err != nil {
		t.Fatal(err)
	}
	if _, err := ask(t, sys, "p", add{boom: true}); !errors.Is(err, actors.ErrEntityFailed) {
		t.Fatalf("panicking command: %v, want ErrEntityFailed", err)
	}
	res, err := ask(t, sys, "p", add{n: 2})
	if err != nil {
		t.Fatal(err)
	}
	if res.State.(int64) != 7 || res.LastVersion != 2 {
		t.Fatalf("after restart: total %v version %d, want 7 at version 2", res.State, res.LastVersion)
	}
	if n := testutil.ToFloat64(commandsCounter(t, reg, "counter", "Add", "failed")); n != 1 {
		t.Errorf("failed Add counted %v times", n)
	}
}

func TestCatchesUpWithOtherWriters(t *testing.T) {
	store := memstore.New(0)
	sys, _ := newSystem(t, store, actors.Config{})
	if _, err := ask(t, sys, "w", add{n: 1}); err != nil {
		t.Fatal(err)
	}
	// Another node appends behind this actor's back.
	ev, err := events.NewEvent(wrapperspb.Int64(10), events.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(context.Background(), "counter-w", events.Exact(1), []events.Event{ev}); err != nil {
		t.Fatal(err)
	}
	res, err := ask(t, sys, "w", add{n: 100})
	if err != nil {
		t.Fatal(err)
	}
	if res.State.(int64) != 111 || res.LastVersion != 3 {
		t.Fatalf("total %v at version %d, want 111 at version 3", res.State, res.LastVersion)
	}
}

func TestPassivatedEntitiesLoseNoCommands(t *testing.T) {
	sys, reg := newSystem(t, memstore.New(0), actors.Config{IdleTimeout: 2 * time.Millisecond})
	const workers, each = 8, 40
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if _, err := ask(t, sys, "idle", add{n: 1}); err != nil {
					t.Errorf("add: %v", err)
					return
				}
				time.Sleep(time.Duration(i%4) * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	res, err := ask(t, sys, "idle", add{})
	if err != nil {
		t.Fatal(err)
	}
	if res.State.(int64) != workers*each {
		t.Fatalf("total %v, want %d", res.State, workers*each)
	}
	live := func() float64 { return testutil.ToFloat64(gauge(t, reg, "hive_entity_actors", "counter")) }
	deadline := time.Now().Add(5 * time.Second)
	for live() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%v counter actors still live long after the idle timeout", live())
		}
		time.Sleep(time.Millisecond)
	}
}

// gauge returns the value of a kind-labelled gauge as a collector.
func gauge(t *testing.T, reg *prometheus.Registry, name, kind string) prometheus.Collector {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "x"})
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == name && len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == kind {
				g.Set(m.GetGauge().GetValue())
			}
		}
	}
	return g
}

func TestUnknownKind(t *testing.T) {
	sys, _ := newSystem(t, memstore.New(0), actors.Config{})
	_, err := sys.Ask(context.Background(), actors.Ref{Kind: "nope", ID: "1"}, actors.Command{Body: add{}})
	if !errors.Is(err, actors.ErrUnknownKind) {
		t.Fatalf("err = %v, want ErrUnknownKind", err)
	}
}

func TestEntityFailingTooOftenIsStoppedThenStartedAfresh(t *testing.T) {
	sys, reg := newSystem(t, memstore.New(0), actors.Config{MaxRestarts: 2, InitialBackoff: time.Millisecond})
	if _, err := ask(t, sys, "flaky", add{n: 3}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		if _, err := ask(t, sys, "flaky", add{boom: true}); !errors.Is(err, actors.ErrEntityFailed) {
			t.Fatalf("failure %d: %v, want ErrEntityFailed", i+1, err)
		}
	}
	live := func() float64 { return testutil.ToFloat64(gauge(t, reg, "hive_entity_actors", "counter")) }
	deadline := time.Now().Add(5 * time.Second)
	for live() != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the actor was not stopped after failing more than MaxRestarts times")
		}
		time.Sleep(time.Millisecond)
	}
	res, err := ask(t, sys, "flaky", add{n: 1})
	if err != nil {
		t.Fatal(err)
	}
	if res.State.(int64) != 4 {
		t.Fatalf("fresh actor's total %v, want 4 recovered from the stream", res.State)
	}
}

func TestInspectAnswersTheStateWithoutDeciding(t *testing.T) {
	store := memstore.New(0)
	sys, _ := newSystem(t, store, actors.Config{})
	ref := actors.Ref{Kind: "counter", ID: "c"}
	res, err := sys.Ask(context.Background(), ref, actors.Command{ID: "i0", Body: actors.Inspect{}})
	if err != nil || res.LastVersion != 0 || res.Events != 0 {
		t.Fatalf("inspect of an entity without events = %+v, %v; want version 0", res, err)
	}
	if _, err := sys.Ask(context.Background(), ref, actors.Command{ID: "a", Body: add{n: 5}}); err != nil {
		t.Fatal(err)
	}
	sys2, _ := newSystem(t, store, actors.Config{}) // recovers from the stream
	res, err = sys2.Ask(context.Background(), ref, actors.Command{ID: "i1", Body: actors.Inspect{}})
	if err != nil || res.LastVersion != 1 || res.State != int64(5) || res.Events != 0 {
		t.Fatalf("inspect = %+v, %v; want state 5 at version 1", res, err)
	}
	if h, _ := store.Head(context.Background()); h != 1 {
		t.Fatalf("inspect appended: head %d", h)
	}
}

func TestIfVersionGuardsCommands(t *testing.T) {
	sys, _ := newSystem(t, memstore.New(0), actors.Config{})
	ref := actors.Ref{Kind: "counter", ID: "v"}
	at := func(v uint64) *uint64 { return &v }
	if _, err := sys.Ask(context.Background(), ref, actors.Command{ID: "1", Body: add{n: 1}, IfVersion: at(0)}); err != nil {
		t.Fatalf("at the expected version 0: %v", err)
	}
	_, err := sys.Ask(context.Background(), ref, actors.Command{ID: "2", Body: add{n: 1}, IfVersion: at(0)})
	var mismatch *actors.VersionMismatchError
	if !errors.As(err, &mismatch) || mismatch.Actual != 1 || mismatch.Expected != 0 {
		t.Fatalf("at a stale version: %v, want a mismatch naming version 1", err)
	}
	res, err := sys.Ask(context.Background(), ref, actors.Command{ID: "3", Body: add{n: 1}, IfVersion: at(1)})
	if err != nil || res.State != int64(2) {
		t.Fatalf("at the current version: %+v, %v", res, err)
	}
}

func TestAskAfterShutdownIsUnavailableAtOnce(t *testing.T) {
	sys, _ := newSystem(t, memstore.New(0), actors.Config{AskTimeout: time.Minute})
	if _, err := register(sys, "before"); err != nil {
		t.Fatal(err)
	}
	sys.Shutdown()
	start := time.Now()
	if _, err := register(sys, "after"); !errors.Is(err, actors.ErrUnavailable) {
		t.Fatalf("a command after shutdown = %v, want ErrUnavailable", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Fatalf("a command after shutdown was refused after %v, not at once", took)
	}
	sys.Shutdown() // a second shutdown does nothing
}
