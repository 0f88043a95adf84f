package projections_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/prometheus/client_golang/prometheus"

	"hive/events"
	"hive/events/memstore"
	"hive/projections"
)

// recorder is a persistent, live projection that records every position it
// applied and how many events it applied since it was created.
type recorder struct {
	mu      sync.Mutex
	state   recorderState
	applied int
	pending []uint64 // positions applied since the last Changed
}

type recorderState struct {
	Checkpoint uint64   `json:"checkpoint"`
	Positions  []uint64 `json:"positions"`
}

func (r *recorder) Name() string { return "recorder" }

func (r *recorder) Checkpoint() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state.Checkpoint
}

func (r *recorder) Apply(c *events.Committed) error {
	env := &c.Envelope
	r.mu.Lock()
	defer r.mu.Unlock()
	if env.Position <= r.state.Checkpoint {
		return fmt.Errorf("position %d applied after %d", env.Position, r.state.Checkpoint)
	}
	r.state.Positions = append(r.state.Positions, env.Position)
	r.state.Checkpoint = env.Position
	r.applied++
	r.pending = append(r.pending, env.Position)
	return nil
}

func (r *recorder) Changed(dst []projections.Change) ([]projections.Change, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer func() { r.pending = r.pending[:0] }()
	for _, pos := range r.pending {
		data, err := json.Marshal(pos)
		if err != nil {
			return dst, err
		}
		dst = append(dst, projections.Change{Topic: "test", Position: pos, Op: projections.OpUpsert, ID: "last", Data: data})
	}
	return dst, nil
}

func (r *recorder) MarshalState() ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return json.Marshal(r.state)
}

func (r *recorder) UnmarshalState(data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	var s recorderState
	if err := json.Unmarshal(data, &s); err != nil {
		r.state = recorderState{}
		return err
	}
	r.state = s
	return nil
}

func (r *recorder) positions() []uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.state.Positions)
}

func (r *recorder) appliedCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applied
}

func newBus(t *testing.T) *gochannel.GoChannel {
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 64, BlockPublishUntilSubscriberAck: true}, watermill.NewSlogLogger(slog.New(slog.DiscardHandler)))
	t.Cleanup(func() { _ = bus.Close() })
	return bus
}

// run runs a runner with opts over store until the returned stop is called.
func run(t *testing.T, store events.Store, opts projections.Options, ps ...projections.Projection) (*projections.Runner, func()) {
	t.Helper()
	r, err := projections.NewRunner(store, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), ps...)
	if err != nil {
		t.Fatal(err)
	}
	r.With(opts)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return r, stop
}

// allPositions lists the positions of the store's events.
func allPositions(t *testing.T, s events.Store) []uint64 {
	t.Helper()
	evs, err := s.ReadAll(context.Background(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	var out []uint64
	for _, e := range evs {
		out = append(out, e.Position)
	}
	return out
}

// runTail runs a tail of store from its head until the test ends.
func runTail(t *testing.T, store events.TailLog) *events.Tail {
	t.Helper()
	head, err := store.ReadAll(context.Background(), 0, 1_000_000)
	if err != nil {
		t.Fatal(err)
	}
	after := uint64(0)
	if len(head) > 0 {
		after = head[len(head)-1].Position
	}
	tail, err := events.NewTail(store, events.TailConfig{})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tail.Run(ctx, after) }()
	t.Cleanup(func() { cancel(); <-done })
	return tail
}

func TestRunnerFollowsTheTailAndPublishesChanges(t *testing.T) {
	store := memstore.New(0)
	appendRegistered(t, store, "before")
	bus := newBus(t)
	changes, err := bus.Subscribe(t.Context(), "changes")
	if err != nil {
		t.Fatal(err)
	}
	// Read the changes as they come: the bus waits for each to be acked.
	got, gotMeta := make(chan []projections.Change, 100), make(chan string, 100)
	go func() {
		for msg := range changes {
			msg.Ack()
			var cs []projections.Change
			if err := json.Unmarshal(msg.Payload, &cs); err != nil {
				t.Error(err)
			}
			got <- cs
			gotMeta <- msg.Metadata.Get(projections.MetaPosition)
		}
	}()
	rec := &recorder{}
	r, _ := run(t, store, projections.Options{Tail: runTail(t, store), Changes: bus, ChangesTopic: "changes"}, rec)
	if err := r.WaitFor(waitCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	var last events.AppendResult
	for i := range 20 {
		last = appendRegistered(t, store, fmt.Sprintf("live-%d", i))
	}
	if err := r.WaitFor(waitCtx(t), last.LastPosition); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.positions(), allPositions(t, store); !slices.Equal(got, want) {
		t.Fatalf("applied %v, want %v", got, want)
	}
	// The event from before the start was not live: changes start after
	// it, in order, in batches that name their last position.
	var published []uint64
	for len(published) < 20 {
		cs, meta := <-got, <-gotMeta
		if len(cs) == 0 || meta != strconv.FormatUint(cs[len(cs)-1].Position, 10) {
			t.Fatalf("changes %+v with metadata position %s", cs, meta)
		}
		for _, c := range cs {
			published = append(published, c.Position)
		}
	}
	if want := allPositions(t, store)[1:]; !slices.Equal(published, want) {
		t.Fatalf("changes published for %v, want %v", published, want)
	}
}

// brokenLog is a store whose subscriptions fail at once, until mended.
type brokenLog struct {
	events.Store
	mended atomic.Bool
}

func (l *brokenLog) SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error) {
	if !l.mended.Load() {
		return nil, errors.New("the connection was lost")
	}
	return l.Store.SubscribeAll(ctx, after)
}

func TestRunnerReadsWhatTheTailCannotFromTheStore(t *testing.T) {
	store := &brokenLog{Store: memstore.New(0)}
	rec := &recorder{}
	r, _ := run(t, store, projections.Options{Tail: runTail(t, store)}, rec)
	if err := r.WaitFor(waitCtx(t), 0); err != nil {
		t.Fatal(err)
	}
	// Events commit while the tail cannot follow the log: the projection
	// reads them from the store, and follows the tail once it can again.
	var last events.AppendResult
	for i := range 5 {
		last = appendRegistered(t, store, fmt.Sprintf("gap-%d", i))
	}
	if err := r.WaitFor(waitCtx(t), last.LastPosition); err != nil {
		t.Fatal(err)
	}
	store.mended.Store(true)
	for i := range 5 {
		last = appendRegistered(t, store, fmt.Sprintf("after-%d", i))
	}
	if err := r.WaitFor(waitCtx(t), last.LastPosition); err != nil {
		t.Fatal(err)
	}
	if got, want := rec.positions(), allPositions(t, store); !slices.Equal(got, want) {
		t.Fatalf("applied %v, want %v", got, want)
	}
}

func TestRunnerResumesFromTheSavedState(t *testing.T) {
	store := memstore.New(0)
	states, err := projections.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var first events.AppendResult
	for i := range 30 {
		first = appendRegistered(t, store, fmt.Sprintf("first-%d", i))
	}
	rec := &recorder{}
	r, stop := run(t, store, projections.Options{States: states}, rec)
	if err := r.WaitFor(waitCtx(t), first.LastPosition); err != nil {
		t.Fatal(err)
	}
	stop() // saves the state when Run ends

	var second events.AppendResult
	for i := range 10 {
		second = appendRegistered(t, store, fmt.Sprintf("second-%d", i))
	}
	resumed := &recorder{}
	r, _ = run(t, store, projections.Options{States: states}, resumed)
	if err := r.WaitFor(waitCtx(t), second.LastPosition); err != nil {
		t.Fatal(err)
	}
	if got := resumed.appliedCount(); got != 10 {
		t.Errorf("applied %d events after the restart, want the 10 new ones only", got)
	}
	if got, want := resumed.positions(), allPositions(t, store); !slices.Equal(got, want) {
		t.Fatalf("state after resuming = %v, want %v", got, want)
	}
	for _, l := range r.Lag() {
		if l.BehindPositions != 0 || l.BehindSeconds != 0 || l.Error != "" {
			t.Errorf("lag after catching up = %+v", l)
		}
	}
}

func TestRunnerRebuildsAStateItCannotRead(t *testing.T) {
	store := memstore.New(0)
	dir := t.TempDir()
	states, err := projections.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := states.Save("recorder", []byte("not json")); err != nil {
		t.Fatal(err)
	}
	last := appendRegistered(t, store, "one")
	rec := &recorder{}
	r, _ := run(t, store, projections.Options{States: states}, rec)
	if err := r.WaitFor(waitCtx(t), last.LastPosition); err != nil {
		t.Fatal(err)
	}
	if got := rec.positions(); !slices.Equal(got, []uint64{last.LastPosition}) {
		t.Fatalf("rebuilt state = %v", got)
	}
}

// gated holds its first event until the gate opens.
type gated struct {
	recorder
	gate chan struct{}
	once sync.Once
}

func (g *gated) Apply(c *events.Committed) error {
	g.once.Do(func() { <-g.gate })
	return g.recorder.Apply(c)
}

// TestRunnerCatchesUpAfterFallingBehindTheTail: while a projection holds
// the runner up, many more events commit than the tail keeps; the runner
// then reads them from the store, and every projection gets each once, in
// order.
func TestRunnerCatchesUpAfterFallingBehindTheTail(t *testing.T) {
	store := memstore.New(0)
	tail, err := events.NewTail(store, events.TailConfig{Ring: 16})
	if err != nil {
		t.Fatal(err)
	}
	stopTail := tail.Start(context.Background(), 0)
	t.Cleanup(stopTail)
	slow := &gated{gate: make(chan struct{})}
	other := &recorder{}
	r, _ := run(t, store, projections.Options{Tail: tail}, slow, other)
	const n = 5000
	evs := make([]events.Event, 0, 100)
	var last events.AppendResult
	for i := range n / 100 {
		evs = evs[:0]
		for range 100 {
			evs = append(evs, events.Event{ID: mustID(t), Type: "test.Event", SchemaVersion: 1})
		}
		if last, err = store.Append(context.Background(), fmt.Sprintf("s-%d", i), events.NoStream(), evs); err != nil {
			t.Fatal(err)
		}
	}
	close(slow.gate)
	if err := r.WaitFor(waitCtx(t), last.LastPosition); err != nil {
		t.Fatal(err)
	}
	want := allPositions(t, store)
	for _, p := range []*recorder{&slow.recorder, other} {
		if got := p.positions(); !slices.Equal(got, want) {
			t.Fatalf("a projection applied %d events, want all %d in order", len(got), len(want))
		}
	}
}

func TestRunnerRebuildsAStateAheadOfTheLog(t *testing.T) {
	store := memstore.New(0)
	states, err := projections.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	// Saved from another history, longer than this log.
	if err := states.Save("recorder", []byte(`{"checkpoint":100000,"positions":[100000]}`)); err != nil {
		t.Fatal(err)
	}
	last := appendRegistered(t, store, "one")
	rec := &recorder{}
	r, _ := run(t, store, projections.Options{States: states}, rec)
	if err := r.WaitFor(waitCtx(t), last.LastPosition); err != nil {
		t.Fatal(err)
	}
	if got := rec.positions(); !slices.Equal(got, allPositions(t, store)) {
		t.Fatalf("state = %v, want this log's %v", got, allPositions(t, store))
	}
}
