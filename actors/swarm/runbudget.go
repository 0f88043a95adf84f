package swarm

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// runLedger is what the swarm knows of a workflow run's budget while the
// run has unfinished tasks in it.
type runLedger struct {
	budget ledger.Budget
	// spent is what the run had spent when it dispatched its tasks, plus
	// the usage of its tasks completed since.
	spent ledger.Usage
	// version is the version of the run's event the budget came from.
	version uint64
	// exhausted: SwarmRunBudgetExhausted was decided and not lifted since.
	exhausted bool
	// tasks counts the run's unfinished tasks.
	tasks int
}

// SetRunBudget tells the swarm a workflow run's new budget, from the run's
// event of version RunVersion. It lifts the run's exhaustion: its queued
// tasks are assigned unless the new budget is spent too. A run without
// unfinished tasks in the swarm, news older than what the swarm knows, and
// the budget the swarm knows decide nothing.
type SetRunBudget struct {
	RunID      string
	Budget     ledger.Budget
	RunVersion uint64
	At         time.Time
}

// CommandName implements the runtime's command naming.
func (SetRunBudget) CommandName() string { return "SetSwarmRunBudget" }

func (s *State) setRunBudget(c SetRunBudget) error {
	f := checkRun(c.RunID, c.At, true)
	c.Budget.Validate(&f, "budget")
	if err := f.Err(); err != nil {
		return err
	}
	if err := s.created(); err != nil {
		return err
	}
	l, ok := s.runs.get(c.RunID)
	if !ok || c.RunVersion <= l.version || c.Budget == l.budget {
		return nil
	}
	s.emit(&hivev1.SwarmRunBudgetChanged{
		SwarmId: s.id, RunId: c.RunID, Previous: l.budget.Proto(), Budget: c.Budget.Proto(),
		RunVersion: c.RunVersion, AtUnixNano: nanos(c.At),
	})
	s.assign(c.At)
	return nil
}

// runHeld reports whether the queued tasks of run runID are held because
// its spending reached its budget, deciding SwarmRunBudgetExhausted the
// first time.
func (s *State) runHeld(runID string, at time.Time) bool {
	l, ok := s.runs.get(runID)
	if !ok || !l.budget.Exhausted(l.spent) {
		return false
	}
	if !l.exhausted {
		s.emit(&hivev1.SwarmRunBudgetExhausted{
			SwarmId: s.id, RunId: runID, Budget: l.budget.Proto(), Spent: l.spent.Proto(),
			Reason: "the run " + spentReason(l.budget, l.spent), AtUnixNano: nanos(at),
		})
	}
	return true
}

// spentReason names the bound of b that spent reached.
func spentReason(b ledger.Budget, spent ledger.Usage) string {
	if b.Tokens > 0 && spent.Tokens() >= b.Tokens {
		return fmt.Sprintf("spent %d of %d tokens", spent.Tokens(), b.Tokens)
	}
	return fmt.Sprintf("spent %d of %d cost micros", spent.CostMicros, b.CostMicros)
}

// atLeast is u, each count raised to v's where v's is larger: of two
// lower bounds of one run's spending, the better one.
func atLeast(u, v ledger.Usage) ledger.Usage {
	if u == (ledger.Usage{}) {
		return v
	}
	u.InputTokens, u.OutputTokens, u.CostMicros = max(u.InputTokens, v.InputTokens), max(u.OutputTokens, v.OutputTokens), max(u.CostMicros, v.CostMicros)
	return u
}

// queuedForRun records a task of a run queued, with the budget news its
// TaskQueued carries.
func (s *State) queuedForRun(m *hivev1.TaskQueued) {
	l, _ := s.runs.get(m.GetRunId())
	if v := m.GetRunVersion(); v > l.version {
		b := ledger.BudgetFromProto(m.GetRunBudget())
		l.exhausted = l.exhausted && b == l.budget
		l.budget, l.version = b, v
	}
	l.spent = atLeast(l.spent, ledger.FromProto(m.GetRunSpent()))
	l.tasks++
	s.runs.set(m.GetRunId(), l)
}

// spentForRun adds the usage of a task of run runID that completed.
func (s *State) spentForRun(runID string, usage ledger.Usage) {
	if l, ok := s.runs.get(runID); ok {
		l.spent = l.spent.Add(usage)
		s.runs.set(runID, l)
	}
}

// finishedForRun records a task of run runID finished; the swarm forgets
// a run without unfinished tasks.
func (s *State) finishedForRun(runID string) {
	l, ok := s.runs.get(runID)
	switch {
	case !ok:
	case l.tasks <= 1:
		s.runs.del(runID)
	default:
		l.tasks--
		s.runs.set(runID, l)
	}
}

// applyRunBudget applies the events about runs' budgets; it reports false
// for an event it does not know.
func (s *State) applyRunBudget(msg any) bool {
	switch m := msg.(type) {
	case *hivev1.SwarmRunBudgetExhausted:
		if l, ok := s.runs.get(m.GetRunId()); ok {
			l.exhausted = true
			s.runs.set(m.GetRunId(), l)
		}
	case *hivev1.SwarmRunBudgetChanged:
		if l, ok := s.runs.get(m.GetRunId()); ok {
			l.budget, l.version, l.exhausted = ledger.BudgetFromProto(m.GetBudget()), m.GetRunVersion(), false
			s.runs.set(m.GetRunId(), l)
		}
	default:
		return false
	}
	return true
}

// RunBudget is what a swarm knows of the budget of a run with unfinished
// tasks in it.
type RunBudget struct {
	RunID  string        `json:"run_id"`
	Budget ledger.Budget `json:"budget"`
	// Spent is what the run has spent, as the swarm counts it.
	Spent ledger.Usage `json:"spent"`
	// Exhausted: the run's queued tasks are held until its budget is
	// raised.
	Exhausted bool `json:"exhausted"`
}

// runBudgets lists the runs the swarm keeps a ledger of, by run id.
func (s *State) runBudgets() []RunBudget {
	byRun := map[string]runLedger{}
	s.runs.each(func(run string, l runLedger) { byRun[run] = l })
	var out []RunBudget
	for _, run := range slices.Sorted(maps.Keys(byRun)) {
		l := byRun[run]
		out = append(out, RunBudget{RunID: run, Budget: l.budget, Spent: l.spent, Exhausted: l.exhausted})
	}
	return out
}

func (s *State) snapshotRuns(snap *hivev1.SwarmSnapshot) {
	for _, rb := range s.runBudgets() {
		l, _ := s.runs.get(rb.RunID)
		snap.RunLedgers = append(snap.RunLedgers, &hivev1.SwarmSnapshot_RunLedger{
			RunId: rb.RunID, Budget: l.budget.Proto(), Spent: l.spent.Proto(), Version: l.version, Exhausted: l.exhausted,
		})
	}
}

// restoreRuns restores the runs' ledgers, counting their unfinished tasks
// (restored before them); a run with unfinished tasks that the snapshot
// has no ledger of (one taken before the swarm kept them) gets an
// unbounded one.
func (s *State) restoreRuns(snap *hivev1.SwarmSnapshot) {
	for _, p := range snap.GetRunLedgers() {
		s.runs.set(p.GetRunId(), runLedger{
			budget: ledger.BudgetFromProto(p.GetBudget()), spent: ledger.FromProto(p.GetSpent()),
			version: p.GetVersion(), exhausted: p.GetExhausted(),
		})
	}
	s.tasks.each(func(_ uint64, t *task) {
		if t.runID != "" {
			l, _ := s.runs.get(t.runID)
			l.tasks++
			s.runs.set(t.runID, l)
		}
	})
}
