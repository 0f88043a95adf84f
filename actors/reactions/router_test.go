package reactions_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/decision"
	"hive/actors/reactions"
	"hive/events"
	"hive/events/memstore"
	hivev1 "hive/proto/hive/v1"
)

// note is the command the test rule derives: "tell To about Text".
type note struct{ Text string }

func (note) CommandName() string { return "Note" }

// rule reacts to every AgentDraining in stream "src-<n>" with a note to
// entity "dst/<reason's first byte>" and, for reason "reject", a
// compensation to entity "dst/undo".
func rule(env *events.Envelope, msg proto.Message) []reactions.Reaction {
	m, ok := msg.(*hivev1.AgentDraining)
	if !ok {
		return nil
	}
	re := reactions.Reaction{To: actors.Ref{Kind: "dst", ID: m.GetReason()[:1]}, Body: note{Text: m.GetReason()}}
	if m.GetReason() == "reject" {
		re.Compensate = func(error) []reactions.Reaction {
			return []reactions.Reaction{{To: actors.Ref{Kind: "dst", ID: "undo"}, Body: note{Text: "undo " + env.Stream}}}
		}
	}
	return []reactions.Reaction{re}
}

// recorder is a fake Commands: it records every command, rejects notes
// "reject", and fails the first `flaky` asks with a runtime error.
type recorder struct {
	mu    sync.Mutex
	got   map[actors.Ref][]string
	cmds  []actors.Command
	flaky int
}

func (r *recorder) Ask(_ context.Context, ref actors.Ref, cmd actors.Command) (actors.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.flaky > 0 {
		r.flaky--
		return actors.Result{}, actors.ErrUnavailable
	}
	text := cmd.Body.(note).Text
	if text == "reject" {
		return actors.Result{}, fmt.Errorf("%w: no", decision.ErrConflict)
	}
	if r.got == nil {
		r.got = map[actors.Ref][]string{}
	}
	r.got[ref] = append(r.got[ref], text)
	r.cmds = append(r.cmds, cmd)
	return actors.Result{}, nil
}

func (r *recorder) notes(ref actors.Ref) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got[ref])
}

func appendDraining(t *testing.T, s events.Store, stream string, reasons ...string) uint64 {
	t.Helper()
	var last uint64
	for _, reason := range reasons {
		e, err := events.NewEvent(&hivev1.AgentDraining{Reason: reason}, events.Metadata{CorrelationID: "corr-" + reason, Principal: "op"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := s.Append(context.Background(), stream, events.Any(), []events.Event{e})
		if err != nil {
			t.Fatal(err)
		}
		last = res.LastPosition
	}
	return last
}

// start runs a router until the test ends or stop is called.
func start(t *testing.T, s events.Store, cmds reactions.Commands, cfg reactions.Config) (r *reactions.Router, stop func()) {
	t.Helper()
	r, err := reactions.New(cfg, s, cmds, rule, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("router: %v", err)
		}
	}
	t.Cleanup(stop)
	return r, stop
}

func waitFor(t *testing.T, r *reactions.Router, pos uint64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.WaitFor(ctx, pos); err != nil {
		t.Fatal(err)
	}
}

func TestReactionsReachTheirTargetsInOrder(t *testing.T) {
	s := memstore.New(0)
	rec := &recorder{}
	r, _ := start(t, s, rec, reactions.Config{PageSize: 3})
	pos := appendDraining(t, s, "src-1", "a1", "b1", "a2", "a3", "b2")
	waitFor(t, r, pos)
	if got := rec.notes(actors.Ref{Kind: "dst", ID: "a"}); !slices.Equal(got, []string{"a1", "a2", "a3"}) {
		t.Errorf("dst/a got %v", got)
	}
	if got := rec.notes(actors.Ref{Kind: "dst", ID: "b"}); !slices.Equal(got, []string{"b1", "b2"}) {
		t.Errorf("dst/b got %v", got)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, c := range rec.cmds {
		if c.Principal != reactions.Principal || c.CorrelationID != "corr-"+c.Body.(note).Text || c.ID == "" {
			t.Errorf("command %+v: want the reactions principal, the event's correlation id and its id as command id", c)
		}
	}
}

func TestRejectedReactionIsCompensated(t *testing.T) {
	s := memstore.New(0)
	rec := &recorder{}
	r, _ := start(t, s, rec, reactions.Config{})
	waitFor(t, r, appendDraining(t, s, "src-1", "reject"))
	if got := rec.notes(actors.Ref{Kind: "dst", ID: "undo"}); !slices.Equal(got, []string{"undo src-1"}) {
		t.Fatalf("compensation: %v", got)
	}
}

func TestFailedReactionIsRetriedNotSkipped(t *testing.T) {
	s := memstore.New(0)
	rec := &recorder{flaky: 3}
	r, _ := start(t, s, rec, reactions.Config{InitialBackoff: time.Millisecond})
	waitFor(t, r, appendDraining(t, s, "src-1", "x1"))
	if got := rec.notes(actors.Ref{Kind: "dst", ID: "x"}); !slices.Equal(got, []string{"x1"}) {
		t.Fatalf("after three failures: %v", got)
	}
}

func TestRestartResumesAtTheCheckpoint(t *testing.T) {
	s := memstore.New(0)
	first := &recorder{}
	r, stop := start(t, s, first, reactions.Config{CheckpointEvery: 1})
	waitFor(t, r, appendDraining(t, s, "src-1", "a1", "a2"))
	stop() // saves the checkpoint

	second := &recorder{}
	r, _ = start(t, s, second, reactions.Config{})
	waitFor(t, r, appendDraining(t, s, "src-1", "a3"))
	if got := second.notes(actors.Ref{Kind: "dst", ID: "a"}); !slices.Equal(got, []string{"a3"}) {
		t.Fatalf("after a restart the router sent %v, want only a3", got)
	}
}

func TestIdleRouterSavesNoCheckpoints(t *testing.T) {
	s := memstore.New(0)
	r, _ := start(t, s, &recorder{}, reactions.Config{CheckpointInterval: time.Millisecond})
	waitFor(t, r, appendDraining(t, s, "src-1", "a1"))
	time.Sleep(50 * time.Millisecond)
	cps, err := s.ReadStream(context.Background(), "checkpoint-reactions", 1, events.Forward, 100)
	if err != nil && !errors.Is(err, events.ErrStreamNotFound) {
		t.Fatal(err)
	}
	if len(cps) > 2 {
		t.Fatalf("an idle router saved %d checkpoints", len(cps))
	}
}

func TestConfigValidate(t *testing.T) {
	if _, err := reactions.New(reactions.Config{PageSize: -1, Parallel: -1}, memstore.New(0), &recorder{}, rule, slog.New(slog.DiscardHandler), prometheus.NewRegistry()); err == nil {
		t.Fatal("invalid config accepted")
	}
}

// fullDisk is a store whose appends to the router's checkpoint stream are
// refused with events.ErrNoSpace while full is set.
type fullDisk struct {
	events.Store
	full    atomic.Bool
	refused atomic.Int32
}

func (s *fullDisk) Append(ctx context.Context, stream string, exp events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	if s.full.Load() && stream == "checkpoint-reactions" {
		s.refused.Add(1)
		return events.AppendResult{}, events.ErrNoSpace
	}
	return s.Store.Append(ctx, stream, exp, evs)
}

func TestCheckpointRefusedByAFullDiskDoesNotStopTheRouter(t *testing.T) {
	s := &fullDisk{Store: memstore.New(0)}
	s.full.Store(true)
	rec := &recorder{}
	r, _ := start(t, s, rec, reactions.Config{CheckpointEvery: 1})
	waitFor(t, r, appendDraining(t, s, "src-1", "a1"))
	for deadline := time.Now().Add(5 * time.Second); s.refused.Load() == 0; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the router saved no checkpoint after a1")
		}
	}
	s.full.Store(false)
	waitFor(t, r, appendDraining(t, s, "src-1", "a2"))
	if got := rec.notes(actors.Ref{Kind: "dst", ID: "a"}); !slices.Equal(got, []string{"a1", "a2"}) {
		t.Fatalf("with a checkpoint refused in between, the router sent %v", got)
	}
	// The router saves its checkpoint after it has handled a2: wait for it.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(time.Millisecond) {
		_, err := s.ReadStream(context.Background(), "checkpoint-reactions", 1, events.Forward, 1)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint 5s after the disk had room: %v", err)
		}
	}
}
