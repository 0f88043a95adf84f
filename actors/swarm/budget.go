package swarm

import (
	"fmt"
	"time"

	"hive/actors/decision"
	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// RaiseBudget sets the swarm's budget. It lifts an exhaustion: queued tasks
// are assigned unless the new budget is spent too. Setting the budget the
// swarm has decides nothing.
type RaiseBudget struct {
	Budget ledger.Budget
	At     time.Time
}

// CommandName implements the runtime's command naming.
func (RaiseBudget) CommandName() string { return "RaiseSwarmBudget" }

func (s *State) raiseBudget(c RaiseBudget) error {
	var f decision.Fields
	c.Budget.Validate(&f, "budget")
	checkAt(&f, "at", c.At)
	if err := f.Err(); err != nil {
		return err
	}
	if err := s.created(); err != nil || c.Budget == s.budget {
		return err
	}
	s.emit(&hivev1.SwarmBudgetChanged{SwarmId: s.id, Previous: s.budget.Proto(), Budget: c.Budget.Proto(), AtUnixNano: nanos(c.At)})
	s.assign(c.At)
	return nil
}

// exhaust decides that the budget is spent.
func (s *State) exhaust(at time.Time) {
	var reason string
	switch {
	case s.budget.Tokens > 0 && s.spent.Tokens() >= s.budget.Tokens:
		reason = fmt.Sprintf("spent %d of %d tokens", s.spent.Tokens(), s.budget.Tokens)
	default:
		reason = fmt.Sprintf("spent %d of %d cost micros", s.spent.CostMicros, s.budget.CostMicros)
	}
	s.emit(&hivev1.SwarmBudgetExhausted{SwarmId: s.id, Budget: s.budget.Proto(), Spent: s.spent.Proto(), Reason: reason, AtUnixNano: nanos(at)})
}
