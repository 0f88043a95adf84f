package workflow

import (
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	hivev1 "hive/proto/hive/v1"
)

// Tick is the run's wake-up command: the runtime sends it when one of the
// run's deadlines (see Deadlines) passes, and the run decides what is due at
// Now. A step whose approval timed out is rejected with the reason
// ReasonApprovalTimedOut, which fails the run. A tick with nothing due
// decides nothing.
type Tick struct{ Now time.Time }

// CommandName implements the runtime's command naming.
func (Tick) CommandName() string { return "TickWorkflow" }
func (Tick) workflowCommand()    {}

// ApprovalTimerKey is the key of the timer of a step's approval.
func ApprovalTimerKey(stepID string) string { return "approval/" + stepID }

// Deadlines returns the timers an event of a run sets (a non-zero At) or
// clears (a zero At): a step awaiting approval with a timeout sets
// "approval/<step>"; its approval, its rejection and the run's cancellation
// clear it.
func Deadlines(msg proto.Message) []actors.Deadline {
	switch m := msg.(type) {
	case *hivev1.StepAwaitingApproval:
		if m.GetDeadlineUnixNano() == 0 {
			return nil
		}
		return []actors.Deadline{{Key: ApprovalTimerKey(m.GetStepId()), At: fromUnixNano(m.GetDeadlineUnixNano())}}
	case *hivev1.StepApproved:
		return []actors.Deadline{{Key: ApprovalTimerKey(m.GetStepId())}}
	case *hivev1.StepRejected:
		return []actors.Deadline{{Key: ApprovalTimerKey(m.GetStepId())}}
	case *hivev1.RunCancelled:
		var out []actors.Deadline
		for _, id := range m.GetAwaitingApprovalStepIds() {
			out = append(out, actors.Deadline{Key: ApprovalTimerKey(id)})
		}
		return out
	}
	return nil
}

func (s *State) tick(c Tick) ([]proto.Message, error) {
	p := s.plan(c.Now)
	for _, st := range s.steps {
		if st.status == StepAwaitingApproval && !st.approval.deadline.IsZero() && !c.Now.Before(st.approval.deadline) {
			p.rejectStep(st, TimeoutBy, "", ReasonApprovalTimedOut, true)
		}
	}
	return p.events, nil
}
