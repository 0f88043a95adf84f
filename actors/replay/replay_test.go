package replay_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"hive/actors"
	"hive/actors/replay"
	"hive/actors/replay/replaytest"
	"hive/actors/swarm"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// TestHistoryWrittenWithVersion1 checks that the history's TaskFailed is
// stored as schema version 1, that every stream's chain verifies, and that
// it decodes as the current version.
func TestHistoryWrittenWithVersion1(t *testing.T) {
	store, _ := history(t)
	ctx := context.Background()
	all, err := store.ReadAll(ctx, 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	streams := map[string]bool{}
	var failed *hivev1.TaskFailed
	for i := range all {
		streams[all[i].Stream] = true
		if all[i].Type != "hive.v1.TaskFailed" {
			continue
		}
		if all[i].SchemaVersion != 1 {
			t.Fatalf("TaskFailed stored as version %d, want 1", all[i].SchemaVersion)
		}
		msg, err := events.Decode(&all[i])
		if err != nil {
			t.Fatal(err)
		}
		failed = msg.(*hivev1.TaskFailed)
	}
	if failed.GetFailure().GetCause() != swarm.CauseFailed || failed.GetFailure().GetReason() != "tests failed again" {
		t.Fatalf("upcast TaskFailed has failure %v", failed.GetFailure())
	}
	for s := range streams {
		envs, err := store.ReadStream(ctx, s, 1, events.Forward, 10000)
		if err != nil {
			t.Fatal(err)
		}
		if err := events.VerifyChain(envs); err != nil {
			t.Fatalf("verify %s: %v", s, err)
		}
	}
}

func TestAt(t *testing.T) {
	store, h := history(t)
	r := replay.New(store, kinds)
	tests := []struct {
		name     string
		target   replay.Target
		inFlight int
		failed   uint64
	}{
		{"the end", replay.Target{}, 1, 1},
		{"after the third submission", replay.Target{Position: h.Positions[len(h.Positions)-10]}, 3, 0},
		{"at the first event's time", replay.Target{Time: replaytest.T0.Add(time.Minute)}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, v := swarmAt(t, r, h, tt.target)
			if len(v.Tasks) != tt.inFlight || v.TaskCounts.Failed != tt.failed {
				t.Fatalf("at %s: %d tasks in flight, %d failed; want %d, %d", tt.target, len(v.Tasks), v.TaskCounts.Failed, tt.inFlight, tt.failed)
			}
		})
	}
}

func TestAtErrors(t *testing.T) {
	store, h := history(t)
	r := replay.New(store, kinds)
	ctx := context.Background()
	if _, err := r.At(ctx, swarmRef(h), replay.Target{Time: replaytest.T0}); !errors.Is(err, replay.ErrNotFound) {
		t.Fatalf("before the first event: %v, want ErrNotFound", err)
	}
	if _, err := r.At(ctx, actors.Ref{Kind: "workflow", ID: "x"}, replay.Target{}); !errors.Is(err, replay.ErrUnknownKind) {
		t.Fatalf("unknown kind: %v, want ErrUnknownKind", err)
	}
}

// TestAtFromSnapshot checks that a replay from a snapshot gives the state a
// replay from the first event gives, and that a target before the snapshot
// does not use it.
func TestAtFromSnapshot(t *testing.T) {
	store, h := history(t)
	r := replay.New(store, kinds)
	ctx := context.Background()
	envs, err := store.ReadStream(ctx, swarmRef(h).Stream(), 1, events.Forward, 1000)
	if err != nil {
		t.Fatal(err)
	}
	mid := envs[len(envs)/2].Position
	whole, _ := swarmAt(t, r, h, replay.Target{Position: mid})
	end, _ := swarmAt(t, r, h, replay.Target{})

	snap := snapshotAt(t, r, h, replay.Target{Position: mid})
	if err := store.SaveSnapshot(ctx, snap); err != nil {
		t.Fatal(err)
	}
	fromSnap, _ := swarmAt(t, r, h, replay.Target{})
	if fromSnap.Snapshot != snap.Version || fromSnap.Applied != int(end.Version-snap.Version) {
		t.Fatalf("from snapshot %d: started at %d and applied %d", snap.Version, fromSnap.Snapshot, fromSnap.Applied)
	}
	if !reflect.DeepEqual(fromSnap.View, end.View) {
		t.Fatalf("from the snapshot:\n%+v\nfrom the first event:\n%+v", fromSnap.View, end.View)
	}
	before, _ := swarmAt(t, r, h, replay.Target{Position: mid - 1})
	if before.Snapshot != 0 || before.Version != whole.Version-1 {
		t.Fatalf("before the snapshot: started at %d, version %d; want 0, %d", before.Snapshot, before.Version, whole.Version-1)
	}
}

// snapshotAt returns the swarm's snapshot at target.
func snapshotAt(t *testing.T, r *replay.Replayer, h replaytest.History, target replay.Target) events.Snapshot {
	t.Helper()
	st, _ := swarmAt(t, r, h, target)
	var s swarm.State
	store, _ := history(t)
	envs, err := store.ReadStream(context.Background(), swarmRef(h).Stream(), 1, events.Forward, int(st.Version))
	if err != nil {
		t.Fatal(err)
	}
	for i := range envs {
		msg, err := events.Decode(&envs[i])
		if err == nil {
			err = s.Apply(&envs[i], msg)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	msg, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	typ, payload, err := events.Encode(msg)
	if err != nil {
		t.Fatal(err)
	}
	return events.Snapshot{Stream: swarmRef(h).Stream(), Version: st.Version, Type: typ, SchemaVersion: 1, Payload: payload}
}
