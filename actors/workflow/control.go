package workflow

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// Pause stops the run dispatching steps. Steps already dispatched finish
// and their results are recorded; steps that become ready wait for Resume.
// Pausing a paused run decides nothing; a finished (or failed) run cannot
// be paused.
type Pause struct {
	By     string
	Reason string
	At     time.Time
}

// CommandName implements the runtime's command naming.
func (Pause) CommandName() string { return "PauseWorkflow" }
func (Pause) workflowCommand()    {}

// Resume lets a paused run dispatch again, starting with the steps that
// became ready meanwhile. Resuming a run that is not paused but not
// finished decides nothing; a failed run resumes by RetryStep.
type Resume struct {
	By string
	At time.Time
}

// CommandName implements the runtime's command naming.
func (Resume) CommandName() string { return "ResumeWorkflow" }
func (Resume) workflowCommand()    {}

// Cancel ends the run: nothing more is dispatched, the swarm is asked to
// cancel the run's tasks (RunCancelled lists their keys), and results that
// arrive later are ignored. A failed run may be cancelled, which ends it
// for good; a completed one cannot. Cancelling a cancelled run decides
// nothing.
type Cancel struct {
	By     string
	Reason string
	At     time.Time
}

// CommandName implements the runtime's command naming.
func (Cancel) CommandName() string { return "CancelWorkflow" }
func (Cancel) workflowCommand()    {}

func checkByReason(by, reason string) error {
	var f decision.Fields
	f.Text("by", by, decision.MaxNameLength, true)
	f.Text("reason", reason, decision.MaxReasonLength, true)
	return f.Err()
}

func (s *State) finishedErr() error {
	return fmt.Errorf("%w: run %s is %s", ErrRunFinished, s.ID, s.Status)
}

func (s *State) pause(c Pause) ([]proto.Message, error) {
	if err := checkByReason(c.By, c.Reason); err != nil {
		return nil, err
	}
	switch {
	case s.Status == StatusPaused:
		return nil, nil
	case s.Status.finished():
		return nil, s.finishedErr()
	}
	return []proto.Message{&hivev1.RunPaused{RunId: s.ID, SwarmId: s.SwarmID, By: c.By, Reason: c.Reason, AtUnixNano: unixNano(c.At)}}, nil
}

func (s *State) resume(c Resume) ([]proto.Message, error) {
	if err := checkByReason(c.By, ""); err != nil {
		return nil, err
	}
	switch {
	case s.Status.finished():
		return nil, s.finishedErr()
	case s.Status != StatusPaused:
		return nil, nil
	}
	p := s.plan(c.At)
	p.emit(&hivev1.RunResumed{RunId: s.ID, SwarmId: s.SwarmID, By: c.By, Reason: verbBy("resumed", c.By), AtUnixNano: unixNano(c.At)})
	p.status = StatusRunning
	p.releaseHeld("run resumed", nil, 0)
	return p.events, nil
}

func (s *State) cancel(c Cancel) ([]proto.Message, error) {
	if err := checkByReason(c.By, c.Reason); err != nil {
		return nil, err
	}
	switch s.Status {
	case StatusCancelled:
		return nil, nil
	case StatusCompleted:
		return nil, s.finishedErr()
	}
	m := &hivev1.RunCancelled{RunId: s.ID, SwarmId: s.SwarmID, By: c.By, Reason: c.Reason, AtUnixNano: unixNano(c.At)}
	for _, st := range s.steps {
		switch {
		case st.status.inFlight():
			m.TaskKeys = append(m.TaskKeys, st.key)
		case st.status == StepAwaitingApproval:
			m.AwaitingApprovalStepIds = append(m.AwaitingApprovalStepIds, st.def.ID)
		}
	}
	return []proto.Message{m}, nil
}
