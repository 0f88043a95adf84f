package swarm_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

// forRun is q as a step of run, dispatched by the run's event of version v
// with budget b, having spent spent.
func forRun(q *hivev1.TaskQueued, run string, b ledger.Budget, spent ledger.Usage, v uint64) *hivev1.TaskQueued {
	q.RunId, q.RunBudget, q.RunSpent, q.RunVersion = run, b.Proto(), spent.Proto(), v
	return q
}

func runExhausted(run string, b ledger.Budget, spent ledger.Usage, reason string, when time.Time) *hivev1.SwarmRunBudgetExhausted {
	return &hivev1.SwarmRunBudgetExhausted{SwarmId: sid, RunId: run, Budget: b.Proto(), Spent: spent.Proto(), Reason: reason, AtUnixNano: ns(when)}
}

func runBudgetChanged(run string, from, to ledger.Budget, v uint64, when time.Time) *hivev1.SwarmRunBudgetChanged {
	return &hivev1.SwarmRunBudgetChanged{SwarmId: sid, RunId: run, Previous: from.Proto(), Budget: to.Proto(), RunVersion: v, AtUnixNano: ns(when)}
}

func inRun(a *hivev1.TaskAssigned, run string) *hivev1.TaskAssigned {
	a.RunId = run
	return a
}

// TestARunsBudgetHoldsItsQueuedTasks: once a run's spending, as the swarm
// counts it, reaches the run's budget, none of its queued tasks is
// assigned (the first time one is held, SwarmRunBudgetExhausted says so),
// while other runs' tasks are; the run's new budget lets them go.
func TestARunsBudgetHoldsItsQueuedTasks(t *testing.T) {
	budget, raised := ledger.Budget{Tokens: 100}, ledger.Budget{Tokens: 1000}
	later := at(time.Minute)
	over := ledger.Usage{InputTokens: 150}
	run := []proto.Message{created(swarm.Mesh), joined(1, 1),
		forRun(queued(1, ""), "r", budget, ledger.Usage{}, 3), inRun(assignedTo(1, 1, 1, t0), "r"),
		forRun(queued(2, ""), "r", budget, ledger.Usage{}, 4)}
	with := func(evs ...proto.Message) []proto.Message { return append(append([]proto.Message{}, run...), evs...) }
	done := &hivev1.TaskCompleted{SwarmId: sid, TaskId: tid(1), AgentId: ag(1), RunId: "r", Attempt: 1, Usage: over.Proto(),
		DurationNanos: int64(time.Minute), AtUnixNano: ns(later)}
	held := runExhausted("r", budget, over, "the run spent 150 of 100 tokens", later)
	overRun := with(done, held)
	runCases(t, []decisionCase{
		{
			name:  "a completion that reaches the run's budget holds its queued tasks; another run's go",
			given: with(forRun(queued(3, ""), "s", ledger.Budget{}, ledger.Usage{}, 2)),
			when:  swarm.CompleteTask{TaskID: tid(1), AgentID: ag(1), Usage: over, At: later},
			then:  []proto.Message{done, held, inRun(assignedTo(3, 1, 1, later), "s")},
		},
		{
			name: "raising the run's budget lets its tasks go", given: overRun,
			when: swarm.SetRunBudget{RunID: "r", Budget: raised, RunVersion: 9, At: later},
			then: []proto.Message{runBudgetChanged("r", budget, raised, 9, later), inRun(assignedTo(2, 1, 1, later), "r")},
		},
		{
			name: "a budget still spent holds them again", given: overRun,
			when: swarm.SetRunBudget{RunID: "r", Budget: ledger.Budget{Tokens: 120}, RunVersion: 9, At: later},
			then: []proto.Message{runBudgetChanged("r", budget, ledger.Budget{Tokens: 120}, 9, later),
				runExhausted("r", ledger.Budget{Tokens: 120}, over, "the run spent 150 of 120 tokens", later)},
		},
		{
			name: "budget news older than the swarm's is stale", given: overRun,
			when: swarm.SetRunBudget{RunID: "r", Budget: raised, RunVersion: 4, At: later},
		},
		{name: "the budget the swarm knows", given: overRun, when: swarm.SetRunBudget{RunID: "r", Budget: budget, RunVersion: 9, At: later}},
		{name: "a run without tasks here", given: overRun, when: swarm.SetRunBudget{RunID: "none", Budget: raised, RunVersion: 9, At: later}},
		{
			name:  "what the run had spent when it dispatched the task counts",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1)},
			when:  swarm.SubmitTask{RunID: "r", RunBudget: budget, RunSpent: ledger.Usage{OutputTokens: 100}, RunVersion: 5, At: t0},
			then: []proto.Message{forRun(queued(1, ""), "r", budget, ledger.Usage{OutputTokens: 100}, 5),
				runExhausted("r", budget, ledger.Usage{OutputTokens: 100}, "the run spent 100 of 100 tokens", t0)},
		},
		{
			name: "bad run budget", given: []proto.Message{created(swarm.Mesh)},
			when:    swarm.SetRunBudget{RunID: "r", Budget: ledger.Budget{Tokens: -1}, At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"budget.tokens"},
		},
	})
}

// TestARunIsForgottenWithItsLastTask: the swarm keeps a run's budget while
// the run has unfinished tasks in it, and shows it.
func TestARunIsForgottenWithItsLastTask(t *testing.T) {
	budget := ledger.Budget{Tokens: 100}
	s := given(t, created(swarm.Mesh), joined(1, 1), forRun(queued(1, ""), "r", budget, ledger.Usage{InputTokens: 10}, 3), inRun(assignedTo(1, 1, 1, t0), "r"))
	if got := view(&s).RunBudgets; len(got) != 1 || got[0] != (swarm.RunBudget{RunID: "r", Budget: budget, Spent: ledger.Usage{InputTokens: 10}}) {
		t.Fatalf("run budgets %+v", got)
	}
	decide(t, &s, swarm.CompleteTask{TaskID: tid(1), AgentID: ag(1), Usage: ledger.Usage{InputTokens: 5}, At: at(time.Second)})
	if got := view(&s).RunBudgets; len(got) != 0 {
		t.Fatalf("run budgets %+v after the run's last task, want none", got)
	}
	if evs := decide(t, &s, swarm.SetRunBudget{RunID: "r", Budget: ledger.Budget{Tokens: 5}, RunVersion: 9, At: at(time.Second)}); len(evs) != 0 {
		t.Fatalf("decided %v for a forgotten run", evs)
	}
}
