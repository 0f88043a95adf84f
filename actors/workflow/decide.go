package workflow

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
)

var (
	// ErrRunNotFound: the run was never started.
	ErrRunNotFound = fmt.Errorf("%w: workflow run not found", decision.ErrNotFound)
	// ErrAlreadyStarted: a run with that id was started already.
	ErrAlreadyStarted = fmt.Errorf("%w: workflow run already started", decision.ErrConflict)
	// ErrRunFinished: the run is completed or cancelled (or, for Pause and
	// Resume, failed), so the command no longer applies.
	ErrRunFinished = fmt.Errorf("%w: workflow run is finished", decision.ErrConflict)
	// ErrStepNotFound: the run has no step with that id.
	ErrStepNotFound = fmt.Errorf("%w: step not found", decision.ErrNotFound)
	// ErrNotAwaitingApproval: the step is not waiting for approval (it
	// needs none, its dependencies are not done, or it was rejected).
	ErrNotAwaitingApproval = fmt.Errorf("%w: step is not awaiting approval", decision.ErrConflict)
	// ErrStepNotFailed: only a failed step can be retried.
	ErrStepNotFailed = fmt.Errorf("%w: step has not failed", decision.ErrConflict)
)

// Decide returns the events that command c causes in state s, or why it is
// rejected. It does not change s: the runtime applies the events once they
// are durable. Every command but Start fails with ErrRunNotFound on a run
// never started.
func (s State) Decide(c any) ([]proto.Message, error) {
	if _, ok := c.(Start); !ok && s.Status == StatusNotStarted {
		if _, known := c.(command); known {
			return nil, ErrRunNotFound
		}
	}
	switch c := c.(type) {
	case Start:
		return s.start(c)
	case Approve:
		return s.approve(c)
	case Reject:
		return s.reject(c)
	case Tick:
		return s.tick(c)
	case RecordAssignment:
		return s.recordAssignment(c)
	case CompleteStep:
		return s.completeStep(c)
	case FailStep:
		return s.failStep(c)
	case Pause:
		return s.pause(c)
	case Resume:
		return s.resume(c)
	case Cancel:
		return s.cancel(c)
	case RetryStep:
		return s.retryStep(c)
	case RaiseBudget:
		return s.raiseBudget(c)
	default:
		return nil, fmt.Errorf("%w: workflow cannot handle %T", decision.ErrInvalid, c)
	}
}

// command is what every command of this package implements.
type command interface {
	CommandName() string
	workflowCommand()
}

// namedStep returns the step a command names, or ErrStepNotFound.
func (s *State) namedStep(id string) (*stepState, error) {
	st := s.step(id)
	if st == nil {
		return nil, fmt.Errorf("%w: run %s has no step %s", ErrStepNotFound, s.ID, decision.Quote(id))
	}
	return st, nil
}
