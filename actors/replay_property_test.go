package actors_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/decision"
	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/actors/workflow"
	"hive/events"
	"hive/events/memstore"
)

// replayProperty checks, for random command sequences, that replaying an
// entity's events from scratch gives exactly the state its actor held, and
// the state a fresh actor recovers from its snapshot. gen returns the i-th
// command of a sequence.
func replayProperty(t *testing.T, kind actors.Kind, id string, gen func(r *rand.Rand, i int) actors.Body) {
	t.Helper()
	for seed := range uint64(40) {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 99))
			store := memstore.New(0)
			sys := newKindSystem(t, store, kind)
			ref := actors.Ref{Kind: kind.Name, ID: id}
			for i := range 60 + r.IntN(60) {
				_, err := sys.Ask(context.Background(), ref, actors.Command{ID: fmt.Sprint("c", i), Principal: "prop", Body: gen(r, i)})
				if err != nil && !isDecision(err) {
					t.Fatalf("command %d: %v", i, err)
				}
			}
			held, err := sys.Ask(context.Background(), ref, actors.Command{ID: "inspect", Body: actors.Inspect{}})
			if err != nil {
				t.Fatal(err)
			}
			replayed := replay(t, store, kind, ref)
			if !reflect.DeepEqual(held.State, replayed) {
				t.Fatalf("replayed state differs from the actor's:\nactor:  %+v\nreplay: %+v", held.State, replayed)
			}
			// A fresh runtime recovers from the newest snapshot and the
			// events after it: the same state again.
			recovered, err := newKindSystem(t, store, kind).Ask(context.Background(), ref, actors.Command{ID: "inspect", Body: actors.Inspect{}})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(recovered.State, replayed) {
				t.Fatalf("state recovered from a snapshot differs from the replayed one:\nsnapshot: %+v\nreplay:   %+v", recovered.State, replayed)
			}
		})
	}
}

func newKindSystem(t *testing.T, store actors.EventStore, kind actors.Kind) *actors.System {
	t.Helper()
	// Snapshots every few events, so that the actor's state also goes
	// through snapshot and restore when it is passivated or restarted.
	sys, err := actors.New(actors.Config{SnapshotEvery: 7}, store, []actors.Kind{kind}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Shutdown)
	return sys
}

func isDecision(err error) bool {
	return errors.Is(err, decision.ErrInvalid) || errors.Is(err, decision.ErrConflict) || errors.Is(err, decision.ErrNotFound)
}

// replay rebuilds an entity from all of its events, without snapshots.
func replay(t *testing.T, store actors.EventStore, kind actors.Kind, ref actors.Ref) any {
	t.Helper()
	e := kind.New()
	envs, err := store.ReadStream(context.Background(), ref.Stream(), 1, events.Forward, events.MaxReadLimit)
	if err != nil && !errors.Is(err, events.ErrStreamNotFound) {
		t.Fatal(err)
	}
	for i := range envs {
		msg, err := events.Decode(&envs[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Apply(&envs[i], msg); err != nil {
			t.Fatal(err)
		}
	}
	return e.View()
}

func TestAgentReplayEqualsActorState(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	swarms := []string{"s1", "s2"}
	replayProperty(t, agentKind, agent.IDFor("prop"), func(r *rand.Rand, i int) actors.Body {
		at := t0.Add(time.Duration(i) * 7 * time.Second)
		task := fmt.Sprint("t", r.IntN(6))
		switch r.IntN(9) {
		case 0:
			return agent.Register{Name: "prop", Capabilities: []string{"code"}, At: at, HeartbeatTimeout: 30 * time.Second}
		case 1:
			return agent.Heartbeat{At: at, HeartbeatTimeout: 30 * time.Second}
		case 2:
			return agent.CheckLiveness{Now: at}
		case 3:
			return agent.Drain{Reason: "r"}
		case 4:
			if r.IntN(4) == 0 {
				return agent.Deregister{Reason: "bye"}
			}
			return agent.JoinSwarm{SwarmID: swarms[r.IntN(2)]}
		case 5:
			return agent.LeaveSwarm{SwarmID: swarms[r.IntN(2)]}
		case 6, 7:
			return agent.StartTask{TaskID: task, SwarmID: "s1", SwarmVersion: uint64(i), At: at}
		default:
			outcome := []string{agent.OutcomeCompleted, agent.OutcomeFailed, agent.OutcomeReleased}[r.IntN(3)]
			return agent.FinishTask{TaskID: task, SwarmID: "s1", SwarmVersion: uint64(i), Outcome: outcome, At: at, Usage: ledger.Usage{OutputTokens: 3}}
		}
	})
}

func TestWorkflowReplayEqualsActorState(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	kind := actors.Kind{Name: workflow.Kind, New: func() actors.Entity { return &workflow.State{} }}
	const run = "0193a0c4-0000-7000-8000-0000000000aa"
	steps := []workflow.Step{
		{ID: "a", Capability: "code"}, {ID: "b", DependsOn: []string{"a"}, Approval: true},
		{ID: "c", DependsOn: []string{"a"}, Planner: true}, {ID: "d", DependsOn: []string{"b", "c"}},
	}
	ids := []string{"a", "b", "c", "d", "e"}
	replayProperty(t, kind, run, func(r *rand.Rand, i int) actors.Body {
		at := t0.Add(time.Duration(i) * time.Second)
		id := ids[r.IntN(len(ids))]
		key := workflow.TaskKey(run, id, 1+r.IntN(2))
		switch r.IntN(14) {
		case 0, 1:
			return workflow.Start{RunID: run, Name: "prop", SwarmID: "s", Steps: steps, Budget: ledger.Budget{Tokens: int64(100 + r.IntN(200))}, At: at}
		case 2:
			return workflow.Approve{StepID: id, By: "op", At: at}
		case 3:
			if r.IntN(2) == 0 {
				return workflow.Pause{By: "op", At: at}
			}
			return workflow.Resume{By: "op", At: at}
		case 4:
			return workflow.RetryStep{StepID: id, By: "op", At: at}
		case 5, 6:
			return workflow.RecordAssignment{Key: key, TaskID: "t" + id, AgentID: "ag", Attempt: 1, At: at}
		case 7:
			if r.IntN(3) == 0 {
				return workflow.FailStep{Key: key, TaskID: "t" + id, AgentID: "ag", Reason: "boom", At: at}
			}
			return workflow.Tick{Now: at}
		case 8:
			return workflow.RaiseBudget{Budget: ledger.Budget{Tokens: int64(200 + 50*i)}, By: "op", At: at}
		default:
			add := []byte(`[{"id":"e","depends_on":["c"]}]`)
			if id != "c" {
				add = nil
			}
			return workflow.CompleteStep{Key: key, TaskID: "t" + id, AgentID: "ag", Output: []byte(`{"ok":true}`),
				Usage: ledger.Usage{InputTokens: 20, OutputTokens: 5}, AddSteps: add, At: at}
		}
	})
}

func TestSwarmReplayEqualsActorState(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	kind := actors.Kind{Name: swarm.Kind, New: func() actors.Entity { return &swarm.State{} }}
	id := swarm.IDFor("prop")
	agents := []string{agent.IDFor("a"), agent.IDFor("b"), agent.IDFor("c")}
	const proposal = "0193a0c4-0000-7000-8000-0000000000bb"
	replayProperty(t, kind, id, func(r *rand.Rand, i int) actors.Body {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		ag := agents[r.IntN(len(agents))]
		task := swarm.TaskID(id, uint64(1+r.IntN(8)))
		v := uint64(i + 1)
		switch r.IntN(12) {
		case 0:
			return swarm.Create{Name: "prop", Topology: []swarm.Topology{swarm.Mesh, swarm.Ring, swarm.Star, swarm.Hierarchical}[r.IntN(4)],
				Budget: ledger.Budget{Tokens: 400}, At: at}
		case 1, 2:
			return swarm.AddMember{AgentID: ag, Capabilities: []string{"code"}, MaxConcurrency: 1 + r.IntN(2), AgentVersion: v, At: at}
		case 3:
			return swarm.RemoveMember{AgentID: ag, AgentVersion: v, At: at}
		case 4:
			if r.IntN(2) == 0 {
				return swarm.MemberLost{AgentID: ag, AgentVersion: v, At: at}
			}
			return swarm.MemberRecovered{AgentID: ag, AgentVersion: v, At: at}
		case 5, 6:
			return swarm.SubmitTask{Key: fmt.Sprint("k", i%9), Capability: "code", Priority: r.IntN(3), MaxAttempts: 2,
				Timeout: time.Minute, Planner: r.IntN(4) == 0, At: at}
		case 7:
			return swarm.CompleteTask{TaskID: task, AgentID: ag, Output: []byte(`{}`), Usage: ledger.Usage{InputTokens: 50}, At: at}
		case 8:
			return swarm.FailTask{TaskID: task, AgentID: ag, Reason: "no", Retryable: r.IntN(2) == 0, At: at}
		case 9:
			return swarm.Tick{Now: at.Add(time.Duration(r.IntN(3)) * time.Minute)}
		case 10:
			if r.IntN(2) == 0 {
				return swarm.Propose{ProposalID: proposal, Question: "q", Options: []string{"x", "y"}, Rule: swarm.Majority, Deadline: at.Add(time.Minute), At: at}
			}
			return swarm.Vote{ProposalID: proposal, AgentID: ag, Option: "x", At: at}
		default:
			return swarm.RaiseBudget{Budget: ledger.Budget{Tokens: int64(400 + 100*i)}, At: at}
		}
	})
}
