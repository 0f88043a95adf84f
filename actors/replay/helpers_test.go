package replay_test

import (
	"context"
	"testing"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/replay"
	"hive/actors/replay/replaytest"
	"hive/actors/swarm"
	"hive/events/memstore"
)

// kinds are the entity kinds the history has.
var kinds = []actors.Kind{
	{Name: agent.Kind, New: func() actors.Entity { return &agent.State{} }},
	{Name: swarm.Kind, New: func() actors.Entity { return &swarm.State{} }},
}

// history writes the fixed history into a new memstore.
func history(t testing.TB) (*memstore.Store, replaytest.History) {
	t.Helper()
	store := memstore.New(0)
	h, err := replaytest.Write(context.Background(), store)
	if err != nil {
		t.Fatalf("write the history: %v", err)
	}
	return store, h
}

func swarmRef(h replaytest.History) actors.Ref { return actors.Ref{Kind: swarm.Kind, ID: h.SwarmID} }

// swarmAt returns the swarm's view at target.
func swarmAt(t *testing.T, r *replay.Replayer, h replaytest.History, target replay.Target) (replay.State, swarm.View) {
	t.Helper()
	st, err := r.At(context.Background(), swarmRef(h), target)
	if err != nil {
		t.Fatalf("At(%s): %v", target, err)
	}
	return st, st.View.(swarm.View)
}
