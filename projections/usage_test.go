package projections_test

import (
	"testing"
	"time"

	"hive/actors/agent"
	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/actors/workflow"
	"hive/projections"
)

var (
	paid   = swarm.IDFor("paid")
	earner = agent.IDFor("earner")
	costly = "0193a1d2-0000-7000-8000-0000000000c1"
)

// spending is a history of real decisions about budgets: a run spends past
// its budget after its first step, is raised too little and then enough;
// its swarm spends past its own budget and stops assigning.
func spending(t *testing.T) *world {
	w := newWorld(t)
	w.do("alice", agentRef(earner), agent.Register{Name: "earner", Capabilities: []string{"code"}, MaxConcurrency: 1, At: w.now, HeartbeatTimeout: time.Hour})
	w.do("alice", swarmRef(paid), swarm.Create{Name: "paid", Topology: swarm.Mesh, Budget: ledger.Budget{Tokens: 1000}, At: w.now})
	w.do("alice", agentRef(earner), agent.JoinSwarm{SwarmID: paid})
	w.do("bob", runRef(costly), workflow.Start{RunID: costly, Name: "costly", SwarmID: paid, Budget: ledger.Budget{Tokens: 500}, At: w.now,
		Steps: []workflow.Step{{ID: "a", Capability: "code"}, {ID: "b", Capability: "code", DependsOn: []string{"a"}}}})
	task, who := w.assignment(costly, "a")
	w.do(who, swarmRef(paid), swarm.CompleteTask{TaskID: task, AgentID: who, At: w.now,
		Usage: ledger.Usage{Model: "m", InputTokens: 300, OutputTokens: 300, CostMicros: 70}})
	return w
}

func TestUsageAndBudgetsOfAgentsSwarmsAndRuns(t *testing.T) {
	w := spending(t)
	runs := projections.NewRuns()
	applyAll(t, runs, w.log)
	run, _ := runs.Get(costly)
	if run.Status != "budget_exhausted" || run.Usage != (projections.UsageTotals{InputTokens: 300, OutputTokens: 300, CostMicros: 70, Tasks: 1}) ||
		!run.Budget.Exhausted || run.Budget.Limit.Tokens != 500 || run.Budget.Spent.Tokens != 600 || *run.Budget.Remaining.Tokens != 0 ||
		run.Budget.Remaining.CostMicros != nil {
		t.Fatalf("run over its budget = %+v", run.RunRow)
	}

	w.do("bob", runRef(costly), workflow.RaiseBudget{Budget: ledger.Budget{Tokens: 550}, By: "bob", At: w.now})
	applyAll(t, runs, w.log[runs.Checkpoint():])
	if run, _ = runs.Get(costly); run.Status != "budget_exhausted" || !run.Budget.Exhausted || *run.Budget.Remaining.Tokens != 0 {
		t.Fatalf("run raised too little = %+v, want still budget_exhausted as its entity decided", run.RunRow)
	}

	w.do("bob", runRef(costly), workflow.RaiseBudget{Budget: ledger.Budget{Tokens: 5000}, By: "bob", At: w.now})
	task, who := w.assignment(costly, "b")
	w.do(who, swarmRef(paid), swarm.CompleteTask{TaskID: task, AgentID: who, At: w.now, Usage: ledger.Usage{InputTokens: 400, OutputTokens: 100}})
	w.do("alice", swarmRef(paid), swarm.SubmitTask{Capability: "code", At: w.now}) // the swarm has spent 1100 of 1000 tokens
	applyAll(t, runs, w.log[runs.Checkpoint():])
	if run, _ = runs.Get(costly); run.Status != "completed" || run.Budget.Exhausted || *run.Budget.Remaining.Tokens != 3900 || run.Usage.Tasks != 2 {
		t.Fatalf("run raised enough and completed = %+v", run.RunRow)
	}

	agents, swarms := projections.NewAgents(), projections.NewSwarms()
	applyAll(t, agents, w.log)
	applyAll(t, swarms, w.log)
	want := projections.UsageTotals{InputTokens: 700, OutputTokens: 400, CostMicros: 70, Tasks: 2}
	if ag, _ := agents.Get(earner); ag.Usage != want {
		t.Fatalf("agent usage = %+v, want %+v", ag.Usage, want)
	}
	sw, _ := swarms.Get(paid)
	if sw.Usage != want || !sw.Budget.Exhausted || sw.Budget.Limit.Tokens != 1000 || sw.Budget.Spent.Tokens != 1100 || *sw.Budget.Remaining.Tokens != 0 {
		t.Fatalf("swarm over its budget = %+v", sw)
	}
	if total, exhausted := swarms.Totals(); total != want || exhausted != 1 {
		t.Fatalf("totals = %+v with %d swarms exhausted, want %+v and 1", total, exhausted, want)
	}
	w.do("alice", swarmRef(paid), swarm.RaiseBudget{Budget: ledger.Budget{Tokens: 2000, CostMicros: 100}, At: w.now})
	applyAll(t, swarms, w.log[swarms.Checkpoint():])
	if sw, _ = swarms.Get(paid); sw.Budget.Exhausted || *sw.Budget.Remaining.Tokens != 900 || *sw.Budget.Remaining.CostMicros != 30 {
		t.Fatalf("swarm raised = %+v", sw.Budget)
	}
}
