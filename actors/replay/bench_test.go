package replay_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/replay"
	"hive/actors/swarm"
	"hive/events"
	"hive/events/memstore"
	"hive/events/pebblestore"
	hivev1 "hive/proto/hive/v1"
)

// benchEvents is the length of the stream time travel runs on, and the
// number of assignments what-if re-runs.
const benchEvents = 100_000

// openBenchStore opens a pebble store in a temporary dir, the store the
// offline tools read.
func openBenchStore(b *testing.B) *pebblestore.Store {
	b.Helper()
	s, err := pebblestore.Open(pebblestore.Config{Dir: filepath.Join(b.TempDir(), "events")})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// batcher appends one stream's events in batches.
type batcher struct {
	b       *testing.B
	store   events.Store
	stream  string
	version uint64
	pending []events.Event
	at      time.Time
}

func (w *batcher) add(m proto.Message) {
	e, err := events.NewEvent(m, events.Metadata{CorrelationID: "bench", CausationID: "bench", Principal: "token:bench"})
	if err != nil {
		w.b.Fatal(err)
	}
	w.at = w.at.Add(time.Millisecond)
	e.RecordedAt = w.at
	w.pending = append(w.pending, e)
	if len(w.pending) == 5000 {
		w.flush()
	}
}

func (w *batcher) flush() {
	if len(w.pending) == 0 {
		return
	}
	expected := events.NoStream()
	if w.version > 0 {
		expected = events.Exact(w.version)
	}
	res, err := w.store.Append(context.Background(), w.stream, expected, w.pending)
	if err != nil {
		w.b.Fatal(err)
	}
	w.version, w.pending = res.LastVersion, w.pending[:0]
}

// agentHistory writes an agent with benchEvents events (registered, then
// heartbeats) and the snapshot the runtime would keep: at most
// actors.DefaultSnapshotEvery events behind the end.
func agentHistory(b *testing.B, store *pebblestore.Store) actors.Ref {
	ref := actors.Ref{Kind: agent.Kind, ID: agent.IDFor("bench")}
	w := &batcher{b: b, store: store, stream: ref.Stream(), at: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	st := &agent.State{}
	snapAt := uint64(benchEvents - actors.DefaultSnapshotEvery/2)
	w.add(&hivev1.AgentRegistered{AgentId: ref.ID, Name: "bench", Capabilities: []string{"code"}, MaxConcurrency: 2})
	for v := uint64(2); v <= benchEvents; v++ {
		w.add(&hivev1.AgentHeartbeatExtended{AgentId: ref.ID, DeadlineUnixNano: w.at.Add(time.Minute).UnixNano()})
		if v == snapAt {
			w.flush()
			saveSnapshot(b, store, st, ref, snapAt)
		}
	}
	w.flush()
	return ref
}

// saveSnapshot folds the stream up to version and saves the snapshot.
func saveSnapshot(b *testing.B, store *pebblestore.Store, st *agent.State, ref actors.Ref, version uint64) {
	r := replay.New(store, []actors.Kind{{Name: agent.Kind, New: func() actors.Entity { return st }}})
	envs, err := store.ReadStream(context.Background(), ref.Stream(), version, events.Forward, 1)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := r.At(context.Background(), ref, replay.Target{Position: envs[0].Position}); err != nil {
		b.Fatal(err)
	}
	msg, err := st.Snapshot()
	if err != nil {
		b.Fatal(err)
	}
	typ, payload, err := events.Encode(msg)
	if err != nil {
		b.Fatal(err)
	}
	snap := events.Snapshot{Stream: ref.Stream(), Version: version, Type: typ, SchemaVersion: events.CurrentSchemaVersion, Payload: payload}
	if err := store.SaveSnapshot(context.Background(), snap); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkTimeTravel rebuilds an agent with 100,000 events, from a pebble
// store: near the end, from the snapshot the runtime keeps; in the middle,
// before it, by folding the stream from its first event; and near the end
// from a source without snapshots (as online), folding almost all of it.
func BenchmarkTimeTravel(b *testing.B) {
	store := openBenchStore(b)
	ref := agentHistory(b, store)
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		src     replay.Source
		version uint64
	}{
		{"near_end_from_snapshot", store, benchEvents - 10},
		{"middle_from_first_event", store, benchEvents / 2},
		{"near_end_without_snapshots", withoutSnapshots{store}, benchEvents - 10},
	} {
		b.Run(tc.name, func(b *testing.B) {
			r := replay.New(tc.src, kinds)
			envs, err := store.ReadStream(ctx, ref.Stream(), tc.version, events.Forward, 1)
			if err != nil {
				b.Fatal(err)
			}
			target := replay.Target{Position: envs[0].Position}
			var st replay.State
			for b.Loop() {
				if st, err = r.At(ctx, ref, target); err != nil {
					b.Fatal(err)
				}
			}
			if st.Version != tc.version {
				b.Fatalf("at version %d, want %d", st.Version, tc.version)
			}
			b.ReportMetric(b.Elapsed().Seconds()*1000/float64(b.N), "ms/travel")
			b.ReportMetric(float64(st.Applied), "events_applied")
		})
	}
}

// withoutSnapshots hides a store's snapshots.
type withoutSnapshots struct{ replay.Source }

// benchMembers is the size of the swarm what-if runs on.
const benchMembers = 16

// swarmHistory writes a mesh swarm of benchMembers agents of different
// capabilities and capacity, decided by the swarm itself: benchEvents
// tasks submitted, each assigned and completed (three events each).
func swarmHistory(b *testing.B, store *pebblestore.Store) string {
	id := swarm.IDFor("bench")
	w := &batcher{b: b, store: store, stream: actors.Ref{Kind: swarm.Kind, ID: id}.Stream(), at: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	st := &swarm.State{}
	do := func(cmd any) []proto.Message {
		msgs, err := st.Decide(cmd)
		if err != nil {
			b.Fatalf("%T: %v", cmd, err)
		}
		for _, m := range msgs {
			env := &events.Envelope{Version: st.Version() + 1}
			if err := st.Apply(env, m); err != nil {
				b.Fatal(err)
			}
			w.add(m)
		}
		return msgs
	}
	do(swarm.Create{Name: "bench", Topology: swarm.Mesh, MinSize: 1, MaxSize: benchMembers, At: w.at,
		Weights: swarm.Weights{Capability: 1, Load: 2, Success: 1, Speed: 0.5}})
	caps := [][]string{{"code"}, {"code", "review"}, {"code", "plan"}, {"code", "review", "plan"}}
	for i := range benchMembers {
		do(swarm.AddMember{AgentID: agent.IDFor(string(rune('a' + i))), Capabilities: caps[i%4], MaxConcurrency: 1 + i%3, AgentVersion: 1, At: w.at})
	}
	for i := range benchEvents {
		for _, m := range do(swarm.SubmitTask{Capability: "code", At: w.at}) {
			if a, ok := m.(*hivev1.TaskAssigned); ok && i%7 != 0 {
				do(swarm.CompleteTask{TaskID: a.GetTaskId(), AgentID: a.GetAgentId(), At: w.at.Add(time.Duration(i%5) * time.Second)})
			} else if ok {
				do(swarm.FailTask{TaskID: a.GetTaskId(), AgentID: a.GetAgentId(), Reason: "bench", At: w.at})
			}
		}
	}
	w.flush()
	return id
}

// BenchmarkWhatIf re-runs 100,000 recorded assignments of a 16-member
// swarm with other weights, reading them from a pebble store (what the
// offline tools read), and from memory (the engine's own cost: the fold,
// the decoding and the decisions).
func BenchmarkWhatIf(b *testing.B) {
	store := openBenchStore(b)
	id := swarmHistory(b, store)
	mem := memstore.New(0)
	copyStream(b, store, mem, actors.Ref{Kind: swarm.Kind, ID: id}.Stream())
	o, err := replay.ParseOverrides("capability=0,load=1,success=3,speed=1")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		src  replay.Source
	}{{"pebble", store}, {"memory", mem}} {
		b.Run(tc.name, func(b *testing.B) {
			r := replay.New(tc.src, kinds)
			var rep replay.WhatIfReport
			cpu := cpuTime(b)
			for b.Loop() {
				if rep, err = r.WhatIf(context.Background(), id, o); err != nil {
					b.Fatal(err)
				}
			}
			if rep.Assignments != benchEvents || rep.Unreplayable != 0 {
				b.Fatalf("re-ran %d assignments, %d unreplayable; want %d, 0", rep.Assignments, rep.Unreplayable, benchEvents)
			}
			b.ReportMetric((cpuTime(b)-cpu).Seconds()/float64(b.N), "cpu-s/whatif")
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N), "s/whatif")
			b.ReportMetric(float64(rep.Assignments)*float64(b.N)/b.Elapsed().Seconds(), "assignments/s")
			b.ReportMetric(float64(rep.Differ), "differ")
		})
	}
}

// copyStream copies a stream's events from one store to another.
func copyStream(b *testing.B, from events.Store, to events.Store, stream string) {
	w := &batcher{b: b, store: to, stream: stream}
	for v := uint64(1); ; {
		envs, err := from.ReadStream(context.Background(), stream, v, events.Forward, 5000)
		if err != nil {
			b.Fatal(err)
		}
		for _, e := range envs {
			w.pending = append(w.pending, events.Event{ID: e.ID, Type: e.Type, SchemaVersion: e.SchemaVersion,
				Payload: e.Payload, RecordedAt: e.RecordedAt, Metadata: e.Metadata})
		}
		w.flush()
		if len(envs) < 5000 {
			return
		}
		v = envs[len(envs)-1].Version + 1
	}
}

// cpuTime is the CPU time the process has used, user and system: on a
// machine shared with other work, what a benchmark costs apart from the
// time it waited for a core.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
