package workflow

import (
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// RaiseBudget sets the run's budget, usually raising it after the run
// exhausted it: if the run is no longer over budget, the steps held back
// are dispatched. Setting the budget the run has decides nothing; a
// completed or cancelled run cannot change it.
type RaiseBudget struct {
	Budget ledger.Budget
	By     string
	At     time.Time
}

// CommandName implements the runtime's command naming.
func (RaiseBudget) CommandName() string { return "RaiseWorkflowBudget" }
func (RaiseBudget) workflowCommand()    {}

func (s *State) raiseBudget(c RaiseBudget) ([]proto.Message, error) {
	var f decision.Fields
	c.Budget.Validate(&f, "budget")
	f.Text("by", c.By, decision.MaxNameLength, true)
	if err := f.Err(); err != nil {
		return nil, err
	}
	switch {
	case s.Status == StatusCompleted || s.Status == StatusCancelled:
		return nil, s.finishedErr()
	case c.Budget == s.Budget:
		return nil, nil
	}
	p := s.plan(c.At)
	p.emit(&hivev1.RunBudgetChanged{RunId: s.ID, Previous: s.Budget.Proto(), Budget: c.Budget.Proto(), By: c.By, AtUnixNano: unixNano(c.At),
		SwarmId: s.SwarmID})
	p.budget = c.Budget
	if s.Status == StatusBudgetExhausted && !c.Budget.Exhausted(s.Usage) {
		p.status = StatusRunning
		p.releaseHeld("budget raised", nil, 0)
	}
	return p.events, nil
}
