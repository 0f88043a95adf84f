package workflow

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// Approve approves a step awaiting approval: it is dispatched now, or once
// the run runs within its budget again. Approving an approved step decides
// nothing.
type Approve struct {
	StepID  string
	By      string
	Comment string
	At      time.Time
}

// CommandName implements the runtime's command naming.
func (Approve) CommandName() string { return "ApproveStep" }
func (Approve) workflowCommand()    {}

// Reject rejects a step awaiting approval, which fails the run. Rejecting a
// rejected step decides nothing.
type Reject struct {
	StepID  string
	By      string
	Comment string
	At      time.Time
}

// CommandName implements the runtime's command naming.
func (Reject) CommandName() string { return "RejectStep" }
func (Reject) workflowCommand()    {}

// TimeoutBy is who a timed-out approval is recorded as rejected by.
const TimeoutBy = "hive"

// ReasonApprovalTimedOut is the reason of a rejection by timeout.
const ReasonApprovalTimedOut = "approval timed out"

func checkDecision(stepID, by, comment string) error {
	var f decision.Fields
	if stepID == "" {
		f.Add("step_id", "is required")
	}
	f.Text("by", by, decision.MaxNameLength, true)
	f.Text("comment", comment, decision.MaxReasonLength, true)
	return f.Err()
}

// awaitingStep returns the step a person decides on, nil if they already
// decided so (idempotent), or why they cannot.
func (s *State) awaitingStep(stepID, decided string) (*stepState, error) {
	st, err := s.namedStep(stepID)
	if err != nil {
		return nil, err
	}
	switch {
	case st.approval.status == decided:
		return nil, nil
	case s.Status == StatusCompleted || s.Status == StatusCancelled:
		return nil, fmt.Errorf("%w: run %s is %s", ErrRunFinished, s.ID, s.Status)
	case st.status != StepAwaitingApproval:
		return nil, fmt.Errorf("%w: step %q is %s", ErrNotAwaitingApproval, stepID, st.status)
	}
	return st, nil
}

func (s *State) approve(c Approve) ([]proto.Message, error) {
	if err := checkDecision(c.StepID, c.By, c.Comment); err != nil {
		return nil, err
	}
	st, err := s.awaitingStep(c.StepID, approvalApproved)
	if st == nil || err != nil {
		return nil, err
	}
	p := s.plan(c.At)
	p.emit(&hivev1.StepApproved{RunId: s.ID, StepId: st.def.ID, By: c.By, Comment: c.Comment, AtUnixNano: unixNano(c.At)})
	p.ready(&st.def, st.generation, true, verbBy("approved", c.By))
	return p.events, nil
}

func (s *State) reject(c Reject) ([]proto.Message, error) {
	if err := checkDecision(c.StepID, c.By, c.Comment); err != nil {
		return nil, err
	}
	st, err := s.awaitingStep(c.StepID, approvalRejected)
	if st == nil || err != nil {
		return nil, err
	}
	p := s.plan(c.At)
	p.rejectStep(st, c.By, c.Comment, verbBy("rejected", c.By), false)
	return p.events, nil
}

// rejectStep rejects a step awaiting approval and fails the run unless it
// already failed.
func (p *plan) rejectStep(st *stepState, by, comment, reason string, timedOut bool) {
	p.emit(&hivev1.StepRejected{RunId: p.runID, StepId: st.def.ID, By: by, Comment: comment, Reason: reason,
		TimedOut: timedOut, AtUnixNano: unixNano(p.at)})
	p.failRun(st.def.ID, withComment(fmt.Sprintf("step %q %s", st.def.ID, reason), comment))
}
