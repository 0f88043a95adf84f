package replay_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/replay"
	"hive/actors/swarm"
	"hive/events"
	"hive/events/memstore"
)

// TestReplayFoldsSettingsAndDissolution replays and audits a swarm whose
// settings changed and which was dissolved with a task unfinished.
func TestReplayFoldsSettingsAndDissolution(t *testing.T) {
	ctx := context.Background()
	store := memstore.New(0)
	ref := actors.Ref{Kind: swarm.Kind, ID: swarm.IDFor("short-lived")}
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	topology, maxSize := swarm.Hierarchical, 4
	var s swarm.State
	for i, cmd := range []any{
		swarm.Create{Name: "short-lived", Topology: swarm.Mesh, At: t0},
		swarm.AddMember{AgentID: agent.IDFor("a"), Capabilities: []string{"code"}, At: t0},
		swarm.UpdateSettings{Topology: &topology, MaxSize: &maxSize, Reason: "needs a coordinator", At: t0},
		swarm.SubmitTask{Capability: "design", At: t0},
		swarm.Dissolve{Reason: "project over", Force: true, At: t0},
	} {
		msgs, err := s.Decide(cmd)
		if err != nil {
			t.Fatalf("%T: %v", cmd, err)
		}
		evs := make([]events.Event, len(msgs))
		for j, m := range msgs {
			if evs[j], err = events.NewEvent(m, events.Metadata{Principal: "token:ops", CorrelationID: "c"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := store.Append(ctx, ref.Stream(), events.Any(), evs); err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if err := s.Apply(&events.Envelope{Version: s.Version() + 1}, m); err != nil {
				t.Fatalf("command %d: %v", i, err)
			}
		}
	}
	r := replay.New(store, kinds)
	st, err := r.At(ctx, ref, replay.Target{})
	if err != nil {
		t.Fatal(err)
	}
	v := st.View.(swarm.View)
	if v.Status != swarm.StatusDissolved || v.Topology != swarm.Hierarchical || v.MaxSize != 4 || len(v.Members) != 0 || v.TaskCounts.Cancelled != 1 ||
		v.DissolveReason != "project over" {
		t.Fatalf("replayed swarm = %+v", v)
	}
	ds, err := r.Audit(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	why := map[string]string{}
	for _, d := range ds {
		why[d.Type] = d.Summary + " | " + strings.Join(d.Why, " | ")
	}
	for typ, want := range map[string]string{
		"SwarmSettingsChanged": "topology mesh → hierarchical | max_size 0 → 4",
		"SwarmDissolved":       "1 members left, 1 unfinished tasks cancelled (forced: true), 0 open proposals closed",
		"TaskCancelled":        "swarm dissolved: project over",
	} {
		if !strings.Contains(why[typ], want) {
			t.Errorf("audit of %s: %q, want %q in it", typ, why[typ], want)
		}
	}
	if !slices.ContainsFunc(ds, func(d replay.Decision) bool { return d.Type == "SwarmLeaderChanged" }) {
		t.Errorf("the audit has no leader chosen for the hierarchy: %+v", ds)
	}
}
