package workflow

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/ledger"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Apply evolves the state by one recorded event. A step whose dependencies
// have all completed becomes ready here (or, if it needs approval, stays
// pending until StepAwaitingApproval), so that Decide and Apply agree on
// readiness without an event per ready step.
func (s *State) Apply(env *events.Envelope, msg proto.Message) error {
	var err error
	switch m := msg.(type) {
	case *hivev1.RunStarted:
		err = s.applyStarted(m, at(env, m.GetAtUnixNano()))
		s.CorrelationID = env.CorrelationID
	case *hivev1.StepsAdded:
		err = s.addSteps(m.GetSteps(), m.GetByStep(), at(env, m.GetAtUnixNano()))
		s.note(m.GetAtUnixNano(), env, "steps_added", m.GetByStep(), "", fmt.Sprintf("planner added %d steps", len(m.GetSteps())))
	case *hivev1.RunPaused:
		s.setStatus(StatusPaused, m.GetReason())
		s.note(m.GetAtUnixNano(), env, "run_paused", "", m.GetBy(), "paused: "+m.GetReason())
	case *hivev1.RunResumed:
		s.setStatus(StatusRunning, "")
		s.FinishedAt = time.Time{}
		s.note(m.GetAtUnixNano(), env, "run_resumed", "", m.GetBy(), m.GetReason())
	case *hivev1.RunCancelled:
		s.applyCancelled(m, at(env, m.GetAtUnixNano()))
	case *hivev1.RunBudgetExhausted:
		s.setStatus(StatusBudgetExhausted, m.GetReason())
		s.note(m.GetAtUnixNano(), env, "run_budget_exhausted", "", "", m.GetReason())
	case *hivev1.RunBudgetChanged:
		s.applyBudgetChanged(m)
		s.note(m.GetAtUnixNano(), env, "run_budget_changed", "", m.GetBy(), budgetChange(m))
	case *hivev1.RunCompleted:
		s.setStatus(StatusCompleted, m.GetReason())
		s.FinishedAt = at(env, m.GetAtUnixNano())
		s.note(m.GetAtUnixNano(), env, "run_completed", "", "", m.GetReason())
	case *hivev1.RunFailed:
		s.setStatus(StatusFailed, m.GetReason())
		s.FinishedAt = at(env, m.GetAtUnixNano())
		s.note(m.GetAtUnixNano(), env, "run_failed", m.GetStepId(), "", m.GetReason())
	default:
		err = s.applyStep(env, msg)
	}
	if err != nil {
		return err
	}
	s.Version = env.Version
	return nil
}

// at is the time an event records, or when it was recorded if it records
// none.
func at(env *events.Envelope, ns int64) time.Time {
	if ns == 0 {
		return env.RecordedAt
	}
	return fromUnixNano(ns)
}

func (s *State) setStatus(status Status, reason string) {
	s.Status, s.StatusReason = status, reason
}

// note adds an entry to the timeline.
func (s *State) note(ns int64, env *events.Envelope, kind, stepID, by, message string) {
	s.log.add(TimelineEntry{At: at(env, ns), Kind: kind, StepID: stepID, By: by, Message: message})
}

func (s *State) applyStarted(m *hivev1.RunStarted, now time.Time) error {
	*s = State{
		ID: m.GetRunId(), Name: m.GetName(), SwarmID: m.GetSwarmId(), Status: StatusRunning,
		Budget: ledger.BudgetFromProto(m.GetBudget()), CreatedAt: now,
		index: make(map[string]int, len(m.GetSteps())),
	}
	s.log.add(TimelineEntry{At: now, Kind: "run_started", Message: fmt.Sprintf("started with %d steps", len(m.GetSteps()))})
	return s.addSteps(m.GetSteps(), "", now)
}

// addSteps appends steps to the run and links them to their dependencies.
func (s *State) addSteps(defs []*hivev1.WorkflowStep, addedBy string, now time.Time) error {
	if s.index == nil {
		s.index = make(map[string]int, len(defs))
	}
	first := len(s.steps)
	for _, d := range defs {
		if _, dup := s.index[d.GetId()]; dup {
			return fmt.Errorf("workflow %s: step %q added twice", s.ID, d.GetId())
		}
		s.index[d.GetId()] = len(s.steps)
		s.steps = append(s.steps, &stepState{def: StepFromProto(d), status: StepPending, generation: 1,
			key: TaskKey(s.ID, d.GetId(), 1), addedBy: addedBy})
	}
	for i := first; i < len(s.steps); i++ {
		st := s.steps[i]
		for _, dep := range st.def.DependsOn {
			d := s.step(dep)
			if d == nil {
				return fmt.Errorf("workflow %s: step %q depends on unknown step %q", s.ID, st.def.ID, dep)
			}
			d.dependents = append(d.dependents, i)
			if d.status != StepCompleted {
				st.waiting++
			}
		}
		s.becomeReadyIfDue(st, now)
	}
	return nil
}

// becomeReadyIfDue makes a pending step whose dependencies have completed
// ready, unless it needs approval.
func (s *State) becomeReadyIfDue(st *stepState, now time.Time) {
	if st.status == StepPending && st.waiting == 0 && !st.def.Approval {
		st.status, st.readyAt = StepReady, now
	}
}

func (s *State) applyCancelled(m *hivev1.RunCancelled, now time.Time) {
	s.setStatus(StatusCancelled, m.GetReason())
	s.FinishedAt = now
	for _, st := range s.steps {
		switch st.status {
		case StepCompleted, StepFailed, StepRejected:
			continue
		case StepAwaitingApproval:
			st.approval.status = approvalCancelled
		}
		st.status, st.finished = StepCancelled, now
	}
	s.log.add(TimelineEntry{At: now, Kind: "run_cancelled", By: m.GetBy(), Message: "cancelled: " + m.GetReason()})
}

func (s *State) applyBudgetChanged(m *hivev1.RunBudgetChanged) {
	s.Budget = ledger.BudgetFromProto(m.GetBudget())
	if s.Status == StatusBudgetExhausted && !s.Budget.Exhausted(s.Usage) {
		s.setStatus(StatusRunning, "")
	}
}

func budgetChange(m *hivev1.RunBudgetChanged) string {
	return fmt.Sprintf("budget changed from %s to %s", budgetString(ledger.BudgetFromProto(m.GetPrevious())), budgetString(ledger.BudgetFromProto(m.GetBudget())))
}

func budgetString(b ledger.Budget) string {
	bound := func(n int64, unit string) string {
		if n == 0 {
			return "no " + unit + " bound"
		}
		return fmt.Sprintf("%d %s", n, unit)
	}
	if b.Unlimited() {
		return "unlimited"
	}
	return bound(b.Tokens, "tokens") + ", " + bound(b.CostMicros, "cost micros")
}
