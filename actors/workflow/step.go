package workflow

import (
	"encoding/json"
	"slices"
	"time"

	hivev1 "hive/proto/hive/v1"
)

// Step is the definition of one step of a run. Its JSON form (see
// MarshalJSON) writes durations as Go duration strings such as "30s".
type Step struct {
	// ID is unique within the run: 1 to 64 ASCII letters, digits, '-', '_'.
	ID string
	// Capability is what an agent needs to do the step; "" means any agent.
	Capability string
	// Input is the step's own input (JSON, at most decision.MaxJSONBytes); empty
	// means null.
	Input json.RawMessage
	// DependsOn lists the steps that must complete first; their outputs
	// are passed to this step.
	DependsOn []string
	// Retry is how the swarm retries the step's task.
	Retry RetryPolicy
	// Timeout bounds one attempt (0 to MaxTimeout); 0 is the swarm's
	// default.
	Timeout time.Duration
	// Approval makes the step wait for a person's approval once its
	// dependencies complete.
	Approval bool
	// ApprovalTimeout rejects the step if it is not decided on in time
	// (0 to MaxApprovalTimeout); 0 waits forever. Only with Approval.
	ApprovalTimeout time.Duration
	// Priority orders the step's task in the swarm's queue, 0 to 9.
	Priority int
	// Planner lets the step's result add steps to the run (see
	// CompleteStep.AddSteps).
	Planner bool
}

// RetryPolicy is how the swarm retries a step's task.
type RetryPolicy struct {
	// MaxAttempts is 1 to MaxAttempts; 0 means 1.
	MaxAttempts int
	// Backoff is the wait between attempts, 0 to MaxBackoff.
	Backoff time.Duration
}

// Ranges of a step's values; the sizes of a run's definition are bounded by
// the limits in package decision.
const (
	MaxAttempts        = 100
	MaxBackoff         = time.Hour
	MaxTimeout         = 24 * time.Hour
	MaxApprovalTimeout = 30 * 24 * time.Hour
	MaxPriority        = 9
)

// normalized returns st as it is stored: at least one attempt, null for an
// empty input, and copies of its slices.
func (st Step) normalized() Step {
	st.Retry.MaxAttempts = max(st.Retry.MaxAttempts, 1)
	if len(st.Input) == 0 {
		st.Input = json.RawMessage("null")
	} else {
		st.Input = slices.Clone(st.Input)
	}
	st.DependsOn = slices.Clone(st.DependsOn)
	return st
}

// Proto converts a step for storing in an event.
func (st Step) Proto() *hivev1.WorkflowStep {
	return &hivev1.WorkflowStep{
		Id: st.ID, Capability: st.Capability, Input: st.Input, DependsOn: st.DependsOn,
		MaxAttempts: int32(st.Retry.MaxAttempts), BackoffNanos: int64(st.Retry.Backoff),
		TimeoutNanos: int64(st.Timeout), Approval: st.Approval,
		ApprovalTimeoutNanos: int64(st.ApprovalTimeout), Priority: int32(st.Priority), Planner: st.Planner,
	}
}

// StepFromProto converts a stored step.
func StepFromProto(p *hivev1.WorkflowStep) Step {
	return Step{
		ID: p.GetId(), Capability: p.GetCapability(), Input: slices.Clone(p.GetInput()),
		DependsOn: slices.Clone(p.GetDependsOn()),
		Retry:     RetryPolicy{MaxAttempts: int(p.GetMaxAttempts()), Backoff: time.Duration(p.GetBackoffNanos())},
		Timeout:   time.Duration(p.GetTimeoutNanos()), Approval: p.GetApproval(),
		ApprovalTimeout: time.Duration(p.GetApprovalTimeoutNanos()), Priority: int(p.GetPriority()), Planner: p.GetPlanner(),
	}
}

func stepsProto(steps []Step) []*hivev1.WorkflowStep {
	out := make([]*hivev1.WorkflowStep, len(steps))
	for i, st := range steps {
		out[i] = st.normalized().Proto()
	}
	return out
}
