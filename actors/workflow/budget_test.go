package workflow_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	"hive/actors/workflow"
	hivev1 "hive/proto/hive/v1"
)

func completedUsing(stepID string, output string, u ledger.Usage) *hivev1.StepCompleted {
	m := completed(stepID, 1, output)
	m.Usage = u.Proto()
	return m
}

func completeUsing(stepID string, output string, u ledger.Usage) workflow.CompleteStep {
	c := complete(stepID, 1, output)
	c.Usage = u
	return c
}

func exhausted(b ledger.Budget, spent ledger.Usage, reason string) *hivev1.RunBudgetExhausted {
	return &hivev1.RunBudgetExhausted{RunId: runID, Budget: b.Proto(), Spent: spent.Proto(), Reason: reason, AtUnixNano: ns(t0)}
}

func budgetChanged(from, to ledger.Budget, by string) *hivev1.RunBudgetChanged {
	return &hivev1.RunBudgetChanged{RunId: runID, Previous: from.Proto(), Budget: to.Proto(), By: by, AtUnixNano: ns(t0), SwarmId: swarm}
}

// funded is d with the run's budget and spending it carries to the swarm.
func funded(d *hivev1.StepDispatched, b ledger.Budget, spent ledger.Usage) *hivev1.StepDispatched {
	if !b.Unlimited() {
		d.RunBudget = b.Proto()
	}
	if spent != (ledger.Usage{}) {
		d.RunSpent = spent.Proto()
	}
	return d
}

func TestBudget(t *testing.T) {
	a, b, c, d := step("a"), step("b", "a"), step("c", "a"), step("d")
	budget := ledger.Budget{Tokens: 100}
	run := []proto.Message{startedWith(budget, a, b, c, d), dispatched(a, 1, "root step"), dispatched(d, 1, "root step")}
	with := func(evs ...proto.Message) []proto.Message { return plus(run, evs...) }
	spent := ledger.Usage{InputTokens: 60, OutputTokens: 40}
	over := with(completedUsing("a", "1", spent), exhausted(budget, spent, "spent 100 tokens of a budget of 100"))
	raised := ledger.Budget{Tokens: 1000}
	costly := []proto.Message{startedWith(ledger.Budget{CostMicros: 5}, a, b), dispatched(a, 1, "root step")}
	runDecisions(t, []decisionCase{
		{
			name: "below the budget dispatches", given: run, when: completeUsing("a", "1", ledger.Usage{InputTokens: 99}),
			then: []proto.Message{
				completedUsing("a", "1", ledger.Usage{InputTokens: 99}),
				funded(dispatched(b, 1, "dependencies completed", "a=1"), budget, ledger.Usage{InputTokens: 99}),
				funded(dispatched(c, 1, "dependencies completed", "a=1"), budget, ledger.Usage{InputTokens: 99}),
			},
		},
		{
			name: "reaching the budget holds the dependents", given: run, when: completeUsing("a", "1", spent),
			then: []proto.Message{completedUsing("a", "1", spent), exhausted(budget, spent, "spent 100 tokens of a budget of 100")},
		},
		{
			name:  "reaching the budget while steps are in flight is recorded, so that the swarm holds them",
			given: run, when: completeUsing("d", "1", spent),
			then: []proto.Message{completedUsing("d", "1", spent), exhausted(budget, spent, "spent 100 tokens of a budget of 100")},
		},
		{
			name: "the cost bound counts too", given: costly, when: completeUsing("a", "1", ledger.Usage{CostMicros: 9}),
			then: []proto.Message{
				completedUsing("a", "1", ledger.Usage{CostMicros: 9}),
				exhausted(ledger.Budget{CostMicros: 5}, ledger.Usage{CostMicros: 9}, "spent 9 cost micros of a budget of 5"),
			},
		},
		{
			name: "exhaustion is recorded once", given: over, when: completeUsing("d", "1", ledger.Usage{InputTokens: 5}),
			// the run's last running step completes while over budget; b and c stay held
			then: []proto.Message{completedUsing("d", "1", ledger.Usage{InputTokens: 5})},
		},
		{
			name: "raising the budget releases the held steps", given: over, when: workflow.RaiseBudget{Budget: raised, By: "finance", At: t0},
			then: []proto.Message{budgetChanged(budget, raised, "finance"),
				funded(dispatched(b, 1, "budget raised", "a=1"), raised, spent), funded(dispatched(c, 1, "budget raised", "a=1"), raised, spent)},
		},
		{
			name: "a budget still exhausted releases nothing", given: over, when: workflow.RaiseBudget{Budget: ledger.Budget{Tokens: 100, CostMicros: 1}, At: t0},
			then: []proto.Message{budgetChanged(budget, ledger.Budget{Tokens: 100, CostMicros: 1}, "")},
		},
		{
			name: "removing the bound releases the held steps", given: over, when: workflow.RaiseBudget{At: t0},
			then: []proto.Message{budgetChanged(budget, ledger.Budget{}, ""),
				funded(dispatched(b, 1, "budget raised", "a=1"), ledger.Budget{}, spent), funded(dispatched(c, 1, "budget raised", "a=1"), ledger.Budget{}, spent)},
		},
		{name: "the same budget again", given: over, when: workflow.RaiseBudget{Budget: budget}},
		{
			name: "raising the budget of a running run", given: run, when: workflow.RaiseBudget{Budget: raised, At: t0},
			then: []proto.Message{budgetChanged(budget, raised, "")},
		},
		{
			name: "raising the budget of a paused run releases nothing", given: plus(over, paused("", "")), when: workflow.RaiseBudget{Budget: raised, At: t0},
			then: []proto.Message{budgetChanged(budget, raised, "")},
		},
		{name: "an invalid budget", given: run, when: workflow.RaiseBudget{Budget: ledger.Budget{CostMicros: -1}}, wantErr: decision.ErrInvalid, fields: []string{"budget.cost_micros"}},
		{name: "the budget of a cancelled run", given: plus(over, cancelled("", "", nil)), when: workflow.RaiseBudget{Budget: raised}, wantErr: workflow.ErrRunFinished},
		{
			name: "resuming a paused run over budget records the exhaustion again", given: plus(over, paused("", "")), when: workflow.Resume{At: t0},
			then: []proto.Message{resumed("", "resumed"), exhausted(budget, spent, "spent 100 tokens of a budget of 100")},
		},
		{
			name:  "the last completion completes the run over budget",
			given: []proto.Message{startedWith(budget, a), dispatched(a, 1, "root step")}, when: completeUsing("a", "1", spent),
			then: []proto.Message{completedUsing("a", "1", spent), &hivev1.RunCompleted{RunId: runID, Usage: spent.Proto(), Reason: "all 1 steps completed", AtUnixNano: ns(t0)}},
		},
	})
}

func TestBudgetExhaustedThenRaised(t *testing.T) {
	a, b := step("a"), step("b", "a")
	s := given(t)
	decide(t, s, workflow.Start{RunID: runID, SwarmID: swarm, Steps: []workflow.Step{a, b}, Budget: ledger.Budget{Tokens: 10}, At: t0})
	decide(t, s, completeUsing("a", "1", ledger.Usage{OutputTokens: 10}))
	v := runView(t, s)
	if v.Status != workflow.StatusBudgetExhausted || v.Usage.Tokens() != 10 || stepView(t, s, "b").Status != workflow.StepReady {
		t.Fatalf("over budget: run %s, usage %+v, b %s", v.Status, v.Usage, stepView(t, s, "b").Status)
	}
	decide(t, s, workflow.RaiseBudget{Budget: ledger.Budget{Tokens: 20}, By: "finance", At: t0})
	if v := runView(t, s); v.Status != workflow.StatusRunning || v.Budget.Tokens != 20 || stepView(t, s, "b").Status != workflow.StepDispatched {
		t.Fatalf("after raise: run %s budget %+v, b %s", v.Status, v.Budget, stepView(t, s, "b").Status)
	}
}
