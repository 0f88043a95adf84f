package workflow

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// RetryStep dispatches a failed step again as a new generation (a new task
// key, so the swarm runs it as a new task). If no other step of the run is
// failed or rejected, the run resumes running (RunResumed) and the steps
// held meanwhile are dispatched too; otherwise the step waits, ready, for
// the others. Retrying a step that has not failed is a conflict.
type RetryStep struct {
	StepID string
	By     string
	At     time.Time
}

// CommandName implements the runtime's command naming.
func (RetryStep) CommandName() string { return "RetryStep" }
func (RetryStep) workflowCommand()    {}

func (s *State) retryStep(c RetryStep) ([]proto.Message, error) {
	var f decision.Fields
	if c.StepID == "" {
		f.Add("step_id", "is required")
	}
	f.Text("by", c.By, decision.MaxNameLength, true)
	if err := f.Err(); err != nil {
		return nil, err
	}
	st, err := s.namedStep(c.StepID)
	switch {
	case err != nil:
		return nil, err
	case s.Status == StatusCompleted || s.Status == StatusCancelled:
		return nil, s.finishedErr()
	case st.status != StepFailed:
		return nil, fmt.Errorf("%w: step %q is %s", ErrStepNotFailed, c.StepID, st.status)
	}
	generation := st.generation + 1
	p := s.plan(c.At)
	p.emit(&hivev1.StepRetried{RunId: s.ID, StepId: st.def.ID, Generation: int32(generation), By: c.By, AtUnixNano: unixNano(c.At)})
	if s.bad > 1 {
		return p.events, nil
	}
	p.emit(&hivev1.RunResumed{RunId: s.ID, SwarmId: s.SwarmID, By: c.By, Reason: fmt.Sprintf("step %q %s", st.def.ID, verbBy("retried", c.By)), AtUnixNano: unixNano(c.At)})
	p.status = StatusRunning
	p.releaseHeld(verbBy("retried", c.By), st, generation)
	return p.events, nil
}
