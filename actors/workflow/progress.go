package workflow

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// MaxIDLength bounds the task and agent ids the swarm reports; longer ones
// are truncated.
const MaxIDLength = 200

// RecordAssignment records that the swarm assigned an attempt of the task
// Key to an agent. Sent by the router; a stale key, a finished step, a
// cancelled run or an attempt not newer than the one recorded decide
// nothing.
type RecordAssignment struct {
	Key     string
	TaskID  string
	AgentID string
	// Attempt is the attempt's number, from 1.
	Attempt int
	At      time.Time
}

// CommandName implements the runtime's command naming.
func (RecordAssignment) CommandName() string { return "RecordStepAssignment" }
func (RecordAssignment) workflowCommand()    {}

// FailStep records that the swarm gave up on the task Key after its last
// attempt: the step fails, and so does the run. Sent by the router; a stale
// key, a finished step or a cancelled run decide nothing.
type FailStep struct {
	Key     string
	TaskID  string
	AgentID string
	// Reason is why; it is truncated to MaxReasonLength characters.
	Reason string
	// Usage is what the failed attempts consumed, if known.
	Usage ledger.Usage
	At    time.Time
}

// CommandName implements the runtime's command naming.
func (FailStep) CommandName() string { return "FailStep" }
func (FailStep) workflowCommand()    {}

// inFlightStep returns the step whose task key is key, or nil if the
// result is stale or already recorded: the key's generation is not the
// step's, the step is not at the swarm, or the run was cancelled. A key of
// another run is invalid and one of an unknown step not found.
func (s *State) inFlightStep(key string) (*stepState, error) {
	runID, stepID, generation, err := ParseTaskKey(key)
	if err == nil && runID != s.ID {
		err = fmt.Errorf("names run %s, not %s", runID, s.ID)
	}
	if err != nil {
		var f decision.Fields
		f.Add("key", err.Error())
		return nil, f.Err()
	}
	st, err := s.namedStep(stepID)
	if err != nil {
		return nil, err
	}
	if generation != st.generation || !st.status.inFlight() || s.Status == StatusCancelled {
		return nil, nil
	}
	return st, nil
}

func (s *State) recordAssignment(c RecordAssignment) ([]proto.Message, error) {
	if c.Attempt < 0 {
		var f decision.Fields
		f.Add("attempt", "must not be negative")
		return nil, f.Err()
	}
	st, err := s.inFlightStep(c.Key)
	if st == nil || err != nil {
		return nil, err
	}
	if st.status == StepAssigned && c.Attempt <= st.attempt {
		return nil, nil
	}
	return []proto.Message{&hivev1.StepAssigned{
		RunId: s.ID, StepId: st.def.ID, Generation: int32(st.generation), Key: c.Key,
		TaskId: truncate(c.TaskID, MaxIDLength), AgentId: truncate(c.AgentID, MaxIDLength),
		Attempt: int32(c.Attempt), AtUnixNano: unixNano(c.At),
	}}, nil
}

func (s *State) failStep(c FailStep) ([]proto.Message, error) {
	if err := checkUsage(c.Usage); err != nil {
		return nil, err
	}
	st, err := s.inFlightStep(c.Key)
	if st == nil || err != nil {
		return nil, err
	}
	p := s.plan(c.At)
	p.failStep(&hivev1.StepFailed{
		RunId: s.ID, StepId: st.def.ID, Generation: int32(st.generation), Key: c.Key,
		TaskId: truncate(c.TaskID, MaxIDLength), AgentId: truncate(c.AgentID, MaxIDLength),
		Reason: truncate(c.Reason, decision.MaxReasonLength), Usage: c.Usage.Proto(), AtUnixNano: unixNano(c.At),
	})
	return p.events, nil
}

func checkUsage(u ledger.Usage) error {
	var f decision.Fields
	u.Validate(&f, "usage")
	return f.Err()
}
