package workflow

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/ledger"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// stepEvent is an event about one step.
type stepEvent interface {
	proto.Message
	GetStepId() string
	GetAtUnixNano() int64
}

// applyStep applies an event about one step.
func (s *State) applyStep(env *events.Envelope, msg proto.Message) error {
	e, ok := msg.(stepEvent)
	if !ok {
		return fmt.Errorf("workflow %s: %w: %s", s.ID, events.ErrUnknownType, env.Type)
	}
	st := s.step(e.GetStepId())
	if st == nil {
		return fmt.Errorf("workflow %s: %s names unknown step %q", s.ID, env.Type, e.GetStepId())
	}
	now := at(env, e.GetAtUnixNano())
	switch m := msg.(type) {
	case *hivev1.StepDispatched:
		st.status, st.dispatched = StepDispatched, now
		st.setGeneration(s.ID, int(m.GetGeneration()))
		st.attempt, st.agentID, st.taskID = 0, "", ""
		if s.StartedAt.IsZero() {
			s.StartedAt = now
		}
	case *hivev1.StepAwaitingApproval:
		st.status = StepAwaitingApproval
		st.approval = approval{status: approvalAwaiting, requestedAt: now, deadline: fromUnixNano(m.GetDeadlineUnixNano())}
		s.note(m.GetAtUnixNano(), env, "step_awaiting_approval", st.def.ID, "", awaitingMessage(st.approval.deadline))
	case *hivev1.StepApproved:
		st.approval.status, st.approval.by, st.approval.comment, st.approval.decidedAt = approvalApproved, m.GetBy(), m.GetComment(), now
		st.status, st.readyAt = StepReady, now
		s.note(m.GetAtUnixNano(), env, "step_approved", st.def.ID, m.GetBy(), withComment("approved", m.GetComment()))
	case *hivev1.StepRejected:
		st.approval.status, st.approval.by, st.approval.comment, st.approval.decidedAt = approvalRejected, m.GetBy(), m.GetComment(), now
		s.fail(st, StepRejected, m.GetReason(), ledger.Usage{}, now)
		s.note(m.GetAtUnixNano(), env, "step_rejected", st.def.ID, m.GetBy(), withComment(m.GetReason(), m.GetComment()))
	case *hivev1.StepAssigned:
		st.status, st.attempt, st.agentID, st.taskID, st.assigned = StepAssigned, int(m.GetAttempt()), m.GetAgentId(), m.GetTaskId(), now
		if m.GetAttempt() > 1 {
			s.note(m.GetAtUnixNano(), env, "step_assigned", st.def.ID, "", fmt.Sprintf("attempt %d assigned to agent %s", m.GetAttempt(), m.GetAgentId()))
		}
	case *hivev1.StepCompleted:
		s.complete(st, m, now)
	case *hivev1.StepFailed:
		st.taskID, st.agentID = m.GetTaskId(), m.GetAgentId()
		s.fail(st, StepFailed, m.GetReason(), ledger.FromProto(m.GetUsage()), now)
		s.note(m.GetAtUnixNano(), env, "step_failed", st.def.ID, "", m.GetReason())
	case *hivev1.StepRetried:
		s.bad--
		st.status, st.readyAt, st.finished = StepReady, now, time.Time{}
		st.setGeneration(s.ID, int(m.GetGeneration()))
		st.attempt, st.agentID, st.taskID, st.err = 0, "", "", ""
		s.note(m.GetAtUnixNano(), env, "step_retried", st.def.ID, m.GetBy(), fmt.Sprintf("retried as generation %d", m.GetGeneration()))
	default:
		return fmt.Errorf("workflow %s: %w: %s", s.ID, events.ErrUnknownType, env.Type)
	}
	return nil
}

// complete records a step's completion and readies the dependents that
// waited only for it.
func (s *State) complete(st *stepState, m *hivev1.StepCompleted, now time.Time) {
	u := ledger.FromProto(m.GetUsage())
	st.status, st.output, st.finished = StepCompleted, slices.Clone(m.GetOutput()), now
	st.taskID, st.agentID = m.GetTaskId(), m.GetAgentId()
	st.usage, s.Usage = st.usage.Add(u), s.Usage.Add(u)
	s.done++
	for _, i := range st.dependents {
		d := s.steps[i]
		d.waiting--
		s.becomeReadyIfDue(d, now)
	}
}

// fail records that a step failed or was rejected.
func (s *State) fail(st *stepState, status StepStatus, reason string, u ledger.Usage, now time.Time) {
	st.status, st.err, st.finished = status, reason, now
	st.usage, s.Usage = st.usage.Add(u), s.Usage.Add(u)
	s.bad++
}

func awaitingMessage(deadline time.Time) string {
	if deadline.IsZero() {
		return "awaiting approval"
	}
	return "awaiting approval until " + deadline.Format(time.RFC3339)
}

func withComment(what, comment string) string {
	if comment == "" {
		return what
	}
	return what + ": " + comment
}

// setGeneration moves the step to generation gen and its task key with it.
func (st *stepState) setGeneration(runID string, gen int) {
	if gen != st.generation {
		st.generation, st.key = gen, TaskKey(runID, st.def.ID, gen)
	}
}
