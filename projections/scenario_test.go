package projections_test

import (
	"encoding/json"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/actors/workflow"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// The fleet of the scenario.
var (
	crew    = swarm.IDFor("crew")
	coder1  = agent.IDFor("coder-1")
	coder2  = agent.IDFor("coder-2")
	planner = agent.IDFor("planner")
	release = "0193a1d2-0000-7000-8000-000000000001"
	docs    = "0193a1d2-0000-7000-8000-000000000002"
	vote    = "0193a1d2-0000-7000-8000-0000000000aa"
)

func agentRef(id string) actors.Ref { return actors.Ref{Kind: agent.Kind, ID: id} }
func swarmRef(id string) actors.Ref { return actors.Ref{Kind: swarm.Kind, ID: id} }
func runRef(id string) actors.Ref   { return actors.Ref{Kind: workflow.Kind, ID: id} }

// fleet is a history of real decisions: three agents join a star swarm;
// the run "release" builds (its first attempt fails and is retried),
// reviews, waits for and gets an approval, ships and completes; the
// members vote on a proposal; the run "docs" is cancelled with a task
// queued; an agent is drained.
func fleet(t testing.TB) *world {
	w := newWorld(t)
	for _, a := range []struct {
		name string
		caps []string
	}{{"coder-1", []string{"code"}}, {"coder-2", []string{"code", "review"}}, {"planner", []string{"plan"}}} {
		w.do("alice", agentRef(agent.IDFor(a.name)), agent.Register{Name: a.name, Capabilities: a.caps, MaxConcurrency: 2, At: w.now, HeartbeatTimeout: time.Minute})
	}
	w.do("alice", swarmRef(crew), swarm.Create{Name: "crew", Topology: swarm.Star, MinSize: 1, At: w.now})
	for _, id := range []string{coder1, coder2, planner} {
		w.do("alice", agentRef(id), agent.JoinSwarm{SwarmID: crew})
	}
	w.advance(30 * time.Second)
	w.do("bob", runRef(release), workflow.Start{RunID: release, Name: "release", SwarmID: crew, At: w.now, Steps: []workflow.Step{
		{ID: "build", Capability: "code", Retry: workflow.RetryPolicy{MaxAttempts: 2}},
		{ID: "review", Capability: "review", DependsOn: []string{"build"}},
		{ID: "ship", Capability: "code", DependsOn: []string{"review"}, Approval: true},
	}})
	task, who := w.assignment(release, "build")
	w.do(who, swarmRef(crew), swarm.FailTask{TaskID: task, AgentID: who, Reason: "flaky test", Retryable: true, At: w.now})
	w.advance(time.Minute)
	task, who = w.assignment(release, "build")
	w.do(who, swarmRef(crew), swarm.CompleteTask{TaskID: task, AgentID: who, Output: []byte(`{"ok":true}`), At: w.now,
		Usage: ledger.Usage{Model: "m", InputTokens: 120, OutputTokens: 30, CostMicros: 9}})
	task, who = w.assignment(release, "review")
	w.do(who, swarmRef(crew), swarm.CompleteTask{TaskID: task, AgentID: who, At: w.now})
	w.do("carol", runRef(release), workflow.Approve{StepID: "ship", By: "carol", Comment: "go", At: w.now})
	w.do("alice", swarmRef(crew), swarm.Propose{ProposalID: vote, Question: "Ship on Friday?", Options: []string{"yes", "no"},
		Rule: swarm.Majority, Quorum: 1, Deadline: w.now.Add(time.Hour), ProposedBy: "alice", At: w.now})
	w.do(coder1, swarmRef(crew), swarm.Vote{ProposalID: vote, AgentID: coder1, Option: "yes", At: w.now})
	w.advance(time.Minute)
	task, who = w.assignment(release, "ship")
	w.do(who, swarmRef(crew), swarm.CompleteTask{TaskID: task, AgentID: who, At: w.now})
	w.do("bob", runRef(docs), workflow.Start{RunID: docs, Name: "docs", SwarmID: crew, At: w.now, Steps: []workflow.Step{
		{ID: "plan", Capability: "design"},
	}})
	w.do("bob", runRef(docs), workflow.Cancel{By: "bob", Reason: "not needed", At: w.now})
	w.do("alice", agentRef(planner), agent.Drain{Reason: "upgrade"})
	return w
}

// assignment returns the task and agent of the newest assignment of the
// run's step.
func (w *world) assignment(runID, stepID string) (task, agentID string) {
	w.t.Helper()
	for i := len(w.log) - 1; i >= 0; i-- {
		if w.log[i].Type != "hive.v1.TaskAssigned" {
			continue
		}
		m := decode(w.t, w.log[i]).(*hivev1.TaskAssigned)
		if m.GetRunId() == runID && m.GetStepId() == stepID {
			return m.GetTaskId(), m.GetAgentId()
		}
	}
	w.t.Fatalf("step %s of run %s was never assigned", stepID, runID)
	return "", ""
}

func decode(t testing.TB, env *events.Envelope) proto.Message {
	t.Helper()
	msg, err := events.Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// asJSON is v's JSON, for comparing views.
func asJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
