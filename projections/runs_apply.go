package projections

import (
	"fmt"
	"strconv"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// applyRun applies an event about the whole run. It returns the timeline's
// text and step for it, and whether it was one.
func (run *runState) applyRun(env *events.Envelope, msg proto.Message) (text, stepID string, ok bool) {
	switch m := msg.(type) {
	case *hivev1.RunPaused:
		run.Status = "paused"
		return verbBy("paused", m.GetBy()) + reasonSuffix(m.GetReason()), "", true
	case *hivev1.RunResumed:
		run.Status = "running"
		return verbBy("resumed", m.GetBy()) + reasonSuffix(m.GetReason()), "", true
	case *hivev1.RunCancelled:
		run.Status = "cancelled"
		for _, st := range run.Steps {
			if !finished(st.State) {
				run.setState(st, StepCancelled)
				st.FinishedAt = env.RecordedAt
			}
		}
		return verbBy("cancelled", m.GetBy()) + reasonSuffix(m.GetReason()), "", true
	case *hivev1.RunBudgetExhausted:
		run.Status = "budget_exhausted"
		return "budget exhausted: " + m.GetReason(), "", true
	case *hivev1.RunBudgetChanged:
		run.Budget.Limit = amountOf(m.GetBudget())
		if run.Status == "budget_exhausted" && !run.Budget.Limit.reached(run.Usage) {
			run.Status = "running"
		}
		return verbBy("budget changed", m.GetBy()), "", true
	case *hivev1.RunCompleted:
		run.Status = "completed"
		return m.GetReason(), "", true
	case *hivev1.RunFailed:
		run.Status = "failed"
		return m.GetReason(), m.GetStepId(), true
	case *hivev1.StepsAdded:
		run.addSteps(m.GetSteps())
		return plural(len(m.GetSteps()), "step") + " added by step " + quote(m.GetByStep()), m.GetByStep(), true
	}
	return "", "", false
}

// spend adds what a step's task consumed to the run's usage: a completed
// step's, and a failed one's whose task completed but whose result the
// run refused.
func (run *runState) spend(msg proto.Message) {
	switch m := msg.(type) {
	case *hivev1.StepCompleted:
		run.Usage.count(m.GetUsage())
	case *hivev1.StepFailed:
		if m.GetByRun() {
			run.Usage.count(m.GetUsage())
		}
	}
}

// applyStep applies an event about one step: the run's own, or the swarm's
// about an attempt of the step's current task. It returns the timeline's
// text, and whether the event changed the step.
func (run *runState) applyStep(env *events.Envelope, msg proto.Message) (text, stepID string, ok bool) {
	e, isStep := msg.(interface{ GetStepId() string })
	if !isStep {
		return "", "", false
	}
	st := run.stepByID[e.GetStepId()]
	if st == nil {
		return "", "", false
	}
	if k, keyed := msg.(interface{ GetKey() string }); keyed && isTaskEvent(env.Type) && k.GetKey() != st.Key {
		return "", "", false // an attempt of a task of an earlier dispatch
	}
	text, ok = run.moveStep(env, st, msg)
	return text, st.ID, ok
}

func (run *runState) moveStep(env *events.Envelope, st *stepView, msg proto.Message) (string, bool) {
	switch m := msg.(type) {
	case *hivev1.StepDispatched:
		run.setState(st, StepQueued)
		st.Key, st.Attempts, st.AgentID, st.StartedAt, st.FinishedAt = m.GetKey(), 0, "", zeroTime, zeroTime
		return "dispatched: " + m.GetReason(), true
	case *hivev1.StepAwaitingApproval:
		run.setState(st, StepAwaitingApproval)
		return "awaiting approval", true
	case *hivev1.StepApproved:
		run.setState(st, StepPending)
		return verbBy("approved", m.GetBy()) + reasonSuffix(m.GetComment()), true
	case *hivev1.StepRejected:
		run.setState(st, StepRejected)
		st.FinishedAt = env.RecordedAt
		return m.GetReason() + reasonSuffix(m.GetComment()), true
	case *hivev1.TaskAssigned:
		return run.assigned(env, st, m.GetAgentId(), m.GetAttempt())
	case *hivev1.StepAssigned:
		return run.assigned(env, st, m.GetAgentId(), m.GetAttempt())
	case *hivev1.TaskAttemptFailed:
		if finished(st.State) || int(m.GetAttempt()) != st.Attempts {
			return "", false
		}
		run.setState(st, StepQueued)
		return fmt.Sprintf("attempt %d failed (%s): %s", m.GetAttempt(), m.GetCause(), m.GetReason()), true
	case *hivev1.StepCompleted:
		run.setState(st, StepCompleted)
		st.AgentID, st.FinishedAt = m.GetAgentId(), env.RecordedAt
		return "completed by agent " + m.GetAgentId(), true
	case *hivev1.StepFailed:
		run.setState(st, StepFailed)
		st.AgentID, st.FinishedAt = m.GetAgentId(), env.RecordedAt
		return m.GetReason(), true
	case *hivev1.StepRetried:
		run.setState(st, StepPending)
		st.Key, st.Attempts, st.AgentID, st.StartedAt, st.FinishedAt = "", 0, "", zeroTime, zeroTime
		return verbBy("retried", m.GetBy()) + " as generation " + strconv.Itoa(int(m.GetGeneration())), true
	}
	return "", false
}

// assigned records an attempt's assignment, which the swarm (TaskAssigned)
// and then the run (StepAssigned) record: only the first of the two counts.
func (run *runState) assigned(env *events.Envelope, st *stepView, agentID string, attempt int32) (string, bool) {
	if finished(st.State) || int(attempt) <= st.Attempts {
		return "", false
	}
	run.setState(st, StepRunning)
	st.Attempts, st.AgentID = int(attempt), agentID
	if st.StartedAt.IsZero() {
		st.StartedAt = env.RecordedAt
	}
	return fmt.Sprintf("attempt %d assigned to agent %s", attempt, agentID), true
}

var zeroTime = time.Time{}

// finished reports whether a step in state is done for its dispatch.
func finished(state string) bool {
	switch state {
	case StepCompleted, StepFailed, StepRejected, StepCancelled:
		return true
	}
	return false
}

func verbBy(verb, by string) string {
	if by == "" {
		return verb
	}
	return verb + " by " + by
}

func reasonSuffix(reason string) string {
	if reason == "" {
		return ""
	}
	return ": " + reason
}

func quote(s string) string { return strconv.Quote(s) }

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
