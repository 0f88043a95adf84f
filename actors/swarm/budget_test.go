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

func budgeted(tokens int64) *hivev1.SwarmCreated {
	c := created(swarm.Mesh)
	c.Budget = &hivev1.Budget{Tokens: tokens}
	return c
}

func TestBudget(t *testing.T) {
	spent := &hivev1.TaskCompleted{SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1, Usage: &hivev1.Usage{InputTokens: 60, OutputTokens: 40}}
	exhausted := &hivev1.SwarmBudgetExhausted{
		SwarmId: sid, Budget: &hivev1.Budget{Tokens: 100}, Spent: &hivev1.Usage{InputTokens: 60, OutputTokens: 40},
		Reason: "spent 100 of 100 tokens", AtUnixNano: ns(t0),
	}
	base := []proto.Message{budgeted(100), joined(1, 2), queued(1, ""), assignedTo(1, 1, 1, t0)}
	runCases(t, []decisionCase{
		{
			name:  "spending the budget with nothing queued decides nothing more",
			given: base,
			when:  swarm.CompleteTask{TaskID: tid(1), AgentID: ag(1), Usage: ledger.Usage{InputTokens: 60, OutputTokens: 40}, At: t0},
			then:  []proto.Message{&hivev1.TaskCompleted{SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1, Usage: &hivev1.Usage{InputTokens: 60, OutputTokens: 40}, AtUnixNano: ns(t0)}},
		},
		{
			name:  "a task to assign once the budget is spent exhausts it",
			given: append(base, spent),
			when:  swarm.SubmitTask{At: t0},
			then:  []proto.Message{queued(2, ""), exhausted},
		},
		{
			name:  "exhausted once",
			given: append(base, spent, queued(2, ""), exhausted),
			when:  swarm.SubmitTask{At: t0},
			then:  []proto.Message{queued(3, "")},
		},
		{
			name:  "raising the budget assigns again",
			given: append(base, spent, queued(2, ""), exhausted),
			when:  swarm.RaiseBudget{Budget: ledger.Budget{Tokens: 200}, At: t0},
			then: []proto.Message{
				&hivev1.SwarmBudgetChanged{SwarmId: sid, Previous: &hivev1.Budget{Tokens: 100}, Budget: &hivev1.Budget{Tokens: 200}, AtUnixNano: ns(t0)},
				assignedTo(2, 1, 1, t0),
			},
		},
		{
			name:  "a budget still spent is exhausted again",
			given: append(base, spent, queued(2, ""), exhausted),
			when:  swarm.RaiseBudget{Budget: ledger.Budget{Tokens: 100, CostMicros: 5}, At: t0},
			then: []proto.Message{
				&hivev1.SwarmBudgetChanged{SwarmId: sid, Previous: &hivev1.Budget{Tokens: 100}, Budget: &hivev1.Budget{Tokens: 100, CostMicros: 5}, AtUnixNano: ns(t0)},
				&hivev1.SwarmBudgetExhausted{
					SwarmId: sid, Budget: &hivev1.Budget{Tokens: 100, CostMicros: 5}, Spent: &hivev1.Usage{InputTokens: 60, OutputTokens: 40},
					Reason: "spent 100 of 100 tokens", AtUnixNano: ns(t0),
				},
			},
		},
		{name: "the same budget", given: base, when: swarm.RaiseBudget{Budget: ledger.Budget{Tokens: 100}, At: t0}},
		{name: "a bad budget", given: base, when: swarm.RaiseBudget{Budget: ledger.Budget{CostMicros: -1}}, wantErr: decision.ErrInvalid, fields: []string{"budget.cost_micros", "at"}},
	})
}

func TestBudgetStatus(t *testing.T) {
	s := given(t, budgeted(10), joined(1, 1), queued(1, ""), assignedTo(1, 1, 1, t0))
	decide(t, &s, swarm.CompleteTask{TaskID: tid(1), AgentID: ag(1), Usage: ledger.Usage{OutputTokens: 10, Model: "m"}, At: at(time.Second)})
	decide(t, &s, swarm.SubmitTask{At: at(time.Second)})
	v := view(&s)
	if v.Status != swarm.StatusBudgetExhausted || v.Usage.Tokens() != 10 || v.QueueDepth != 1 {
		t.Fatalf("view = %+v", v)
	}
	decide(t, &s, swarm.RaiseBudget{At: at(time.Second)})
	if v := view(&s); v.Status != swarm.StatusActive || v.QueueDepth != 0 || v.Budget != (ledger.Budget{}) {
		t.Fatalf("after an unlimited budget: %+v", v)
	}
}
