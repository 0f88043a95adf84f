package actors_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"hive/actors"
	"hive/events"
	"hive/events/memstore"
)

func TestSnapshotsAreTakenAndUsedForRecovery(t *testing.T) {
	store := memstore.New(0)
	sys, _ := newSystem(t, store, actors.Config{SnapshotEvery: 100})
	for i := 0; i < 250; i++ {
		if _, err := ask(t, sys, "snap", add{n: 1}); err != nil {
			t.Fatal(err)
		}
	}
	snap, err := store.LoadSnapshot(context.Background(), "counter-snap")
	if err != nil {
		t.Fatal(err)
	}
	var total wrapperspb.Int64Value
	if err := proto.Unmarshal(snap.Payload, &total); err != nil || snap.Version != 200 || total.GetValue() != 200 {
		t.Fatalf("snapshot at version %d holds %v (%v); want 200 at version 200", snap.Version, total.GetValue(), err)
	}

	// A new runtime recovers from the snapshot and the 50 events after it.
	// To see that it used the snapshot, plant one that says otherwise.
	planted, err := proto.Marshal(wrapperspb.Int64(1_000_000))
	if err != nil {
		t.Fatal(err)
	}
	if err := store.SaveSnapshot(context.Background(), events.Snapshot{
		Stream: "counter-snap", Version: 240, Type: "google.protobuf.Int64Value", SchemaVersion: 1, Payload: planted,
	}); err != nil {
		t.Fatal(err)
	}
	sys2, _ := newSystem(t, store, actors.Config{SnapshotEvery: 100})
	res, err := ask(t, sys2, "snap", add{n: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.State.(int64); got != 1_000_000+10+1 {
		t.Fatalf("recovered total %d, want the planted snapshot's 1,000,000 plus the 10 events after it plus 1", got)
	}
}

func TestUnusableSnapshotFallsBackToTheStream(t *testing.T) {
	store := memstore.New(0)
	sys, _ := newSystem(t, store, actors.Config{})
	for i := 0; i < 5; i++ {
		if _, err := ask(t, sys, "bad", add{n: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.SaveSnapshot(context.Background(), events.Snapshot{
		Stream: "counter-bad", Version: 3, Type: "no.such.Type", SchemaVersion: 1, Payload: []byte{1},
	}); err != nil {
		t.Fatal(err)
	}
	// A SnapshotEvery below the stream's length, so that the snapshot is
	// looked up.
	sys2, _ := newSystem(t, store, actors.Config{SnapshotEvery: 2})
	res, err := ask(t, sys2, "bad", add{n: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got := res.State.(int64); got != 12 || res.LastVersion != 6 {
		t.Fatalf("total %d at version %d, want 12 at version 6 from the whole stream", got, res.LastVersion)
	}
}

// snapshotsOutOfReach is a store whose snapshots cannot be loaded while
// down, as when its server is restarting, and which counts the events
// read from streams.
type snapshotsOutOfReach struct {
	*memstore.Store
	down atomic.Bool
	read atomic.Int64
}

func (s *snapshotsOutOfReach) LoadSnapshot(ctx context.Context, stream string) (events.Snapshot, error) {
	if s.down.Load() {
		return events.Snapshot{}, fmt.Errorf("connection refused: %w", events.ErrUnavailable)
	}
	return s.Store.LoadSnapshot(ctx, stream)
}

func (s *snapshotsOutOfReach) ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error) {
	envs, err := s.Store.ReadStream(ctx, stream, from, dir, limit)
	s.read.Add(int64(len(envs)))
	return envs, err
}

// TestSnapshotOutOfReachFailsTheRecovery: a snapshot that cannot be loaded
// because the store is unavailable fails the recovery, and the command,
// with ErrUnavailable, rather than replaying the whole stream in its
// place; the next command recovers from the snapshot.
func TestSnapshotOutOfReachFailsTheRecovery(t *testing.T) {
	store := &snapshotsOutOfReach{Store: memstore.New(0)}
	sys, _ := newSystem(t, store, actors.Config{SnapshotEvery: 10})
	for range 25 {
		if _, err := ask(t, sys, "blip", add{n: 1}); err != nil {
			t.Fatal(err)
		}
	}
	store.down.Store(true)
	sys2, _ := newSystem(t, store, actors.Config{SnapshotEvery: 10})
	if _, err := ask(t, sys2, "blip", add{n: 1}); !errors.Is(err, events.ErrUnavailable) {
		t.Fatalf("a command while the snapshot is out of reach = %v, want ErrUnavailable", err)
	}
	store.down.Store(false)
	store.read.Store(0)
	res, err := ask(t, sys2, "blip", add{n: 1})
	if err != nil || res.State.(int64) != 26 {
		t.Fatalf("with the store back: %v, %v; want a total of 26", res.State, err)
	}
	if n := store.read.Load(); n >= 25 {
		t.Errorf("%d events read to recover, want fewer than the stream's 25: the snapshot stands for most of them", n)
	}
}

// readCountingStore counts the reads of streams and snapshots.
type readCountingStore struct {
	*memstore.Store
	streamReads, snapshotLoads atomic.Int64
}

func (s *readCountingStore) LoadSnapshot(ctx context.Context, stream string) (events.Snapshot, error) {
	s.snapshotLoads.Add(1)
	return s.Store.LoadSnapshot(ctx, stream)
}

func (s *readCountingStore) ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error) {
	s.streamReads.Add(1)
	return s.Store.ReadStream(ctx, stream, from, dir, limit)
}

// TestRecoveryReadsWhatItNeeds: a new entity, or one whose stream is
// shorter than SnapshotEvery (which no snapshot stands for), recovers with
// one read of its stream and no snapshot lookup; a longer one looks its
// snapshot up.
func TestRecoveryReadsWhatItNeeds(t *testing.T) {
	tests := []struct {
		name                 string
		before               int // events the entity has
		streamReads, lookups int64
	}{
		{name: "a new entity", before: 0, streamReads: 1, lookups: 0},
		{name: "a stream shorter than SnapshotEvery", before: 9, streamReads: 1, lookups: 0},
		{name: "a stream with a snapshot", before: 25, streamReads: 2, lookups: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := &readCountingStore{Store: memstore.New(0)}
			sys, _ := newSystem(t, store, actors.Config{SnapshotEvery: 10})
			for range tc.before {
				if _, err := ask(t, sys, "counted", add{n: 1}); err != nil {
					t.Fatal(err)
				}
			}
			store.streamReads.Store(0)
			store.snapshotLoads.Store(0)
			sys2, _ := newSystem(t, store, actors.Config{SnapshotEvery: 10})
			res, err := ask(t, sys2, "counted", add{n: 1})
			if err != nil || res.State.(int64) != int64(tc.before+1) {
				t.Fatalf("recovered and added: %v, %v; want %d", res.State, err, tc.before+1)
			}
			if r, l := store.streamReads.Load(), store.snapshotLoads.Load(); r != tc.streamReads || l != tc.lookups {
				t.Errorf("%d reads of the stream and %d snapshot lookups, want %d and %d", r, l, tc.streamReads, tc.lookups)
			}
		})
	}
}

// countingSnapshots is a store that counts the snapshot lookups.
type countingSnapshots struct {
	*memstore.Store
	loads atomic.Int64
}

func (s *countingSnapshots) LoadSnapshot(ctx context.Context, stream string) (events.Snapshot, error) {
	s.loads.Add(1)
	return s.Store.LoadSnapshot(ctx, stream)
}

func TestANewEntityLooksForNoSnapshot(t *testing.T) {
	store := &countingSnapshots{Store: memstore.New(0)}
	sys, _ := newSystem(t, store, actors.Config{SnapshotEvery: 2})
	if _, err := ask(t, sys, "fresh", add{n: 1}); err != nil {
		t.Fatal(err)
	}
	if n := store.loads.Load(); n != 0 {
		t.Fatalf("a new entity looked for a snapshot %d times; its stream does not exist, so it has none", n)
	}
	for range 3 {
		if _, err := ask(t, sys, "fresh", add{n: 1}); err != nil {
			t.Fatal(err)
		}
	}
	// A new runtime recovers the entity, whose stream now exists, from its snapshot.
	sys2, _ := newSystem(t, store, actors.Config{SnapshotEvery: 2})
	res, err := ask(t, sys2, "fresh", add{n: 1})
	if err != nil {
		t.Fatal(err)
	}
	if n := store.loads.Load(); n != 1 || res.State.(int64) != 5 || res.LastVersion != 5 {
		t.Fatalf("recovery: %d snapshot lookups, total %v at version %d; want 1 lookup, 5 at version 5", n, res.State, res.LastVersion)
	}
}

// bulky is a counter whose snapshots are far larger than its events, as a
// busy swarm's are: about snapshotPad bytes.
type bulky struct{ counter }

const snapshotPad = 1000

func (b *bulky) Snapshot() (proto.Message, error) {
	return wrapperspb.String(strings.Repeat("x", snapshotPad) + strconv.FormatInt(b.total, 10)), nil
}

func (b *bulky) Restore(msg proto.Message, _ uint64) error {
	n, err := strconv.ParseInt(strings.TrimLeft(msg.(*wrapperspb.StringValue).GetValue(), "x"), 10, 64)
	b.total = n
	return err
}

// A snapshot is taken once the entity has appended, since the last one,
// at least SnapshotEvery events and at least as many bytes of events as
// that snapshot held: snapshots cost at most what the events cost to
// write, however large the state, and a recovery applies at most that
// many bytes of events after its snapshot.
func TestLargeSnapshotsAreTakenAsOftenAsTheirEventsPayForThem(t *testing.T) {
	store := memstore.New(0)
	kind := actors.Kind{Name: "bulky", New: func() actors.Entity { return &bulky{} }}
	sys, err := actors.New(actors.Config{SnapshotEvery: 10}, store, []actors.Kind{kind}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Shutdown)
	ref := actors.Ref{Kind: "bulky", ID: "b"}
	add1 := func() {
		t.Helper()
		if _, err := sys.Ask(context.Background(), ref, actors.Command{ID: "c", Principal: "p", Body: add{n: 1}}); err != nil {
			t.Fatal(err)
		}
	}
	snapshotAt := func() uint64 {
		t.Helper()
		snap, err := store.LoadSnapshot(context.Background(), "bulky-b")
		if errors.Is(err, events.ErrSnapshotNotFound) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		return snap.Version
	}
	for range 10 {
		add1()
	}
	if v := snapshotAt(); v != 10 {
		t.Fatalf("first snapshot at version %d, want 10: the first is taken after SnapshotEvery events", v)
	}
	// Each event's payload is a 2-byte Int64Value: the next snapshot waits
	// for about snapshotPad/2 events.
	for range 100 {
		add1()
	}
	if v := snapshotAt(); v != 10 {
		t.Fatalf("snapshot at version %d after 100 small events, want still 10", v)
	}
	for range snapshotPad {
		add1()
	}
	if v := snapshotAt(); v <= 10 {
		t.Fatalf("no new snapshot after %d bytes of events, more than the snapshot's %d", 2*(snapshotPad+100), snapshotPad)
	}
	// A new runtime recovers from it.
	sys2, err := actors.New(actors.Config{SnapshotEvery: 10}, store, []actors.Kind{kind}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys2.Shutdown)
	res, err := sys2.Ask(context.Background(), ref, actors.Command{ID: "c", Principal: "p", Body: add{n: 1}})
	if err != nil || res.State.(int64) != 10+100+snapshotPad+1 {
		t.Fatalf("recovered total %v (%v), want %d", res.State, err, 10+100+snapshotPad+1)
	}
}
