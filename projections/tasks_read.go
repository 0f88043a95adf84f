package projections

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Task is a task as GET /v1/tasks/{id} shows it, finished or not: as
// submitted, where it is, and every attempt.
type Task struct {
	ID          string          `json:"id"`
	SwarmID     string          `json:"swarm_id"`
	Key         string          `json:"key,omitempty"`
	RunID       string          `json:"run_id,omitempty"`
	StepID      string          `json:"step_id,omitempty"`
	Capability  string          `json:"capability,omitempty"`
	Input       json.RawMessage `json:"input,omitempty"`
	Priority    int             `json:"priority"`
	MaxAttempts int             `json:"max_attempts"`
	Backoff     time.Duration   `json:"backoff"`
	Timeout     time.Duration   `json:"timeout"`
	Planner     bool            `json:"planner,omitempty"`
	// Status is queued, waiting (for a retry), assigned, or final:
	// completed, failed or cancelled.
	Status string `json:"status"`
	// Attempt is the number of attempts started.
	Attempt int `json:"attempt"`
	// AgentID is the agent of the current attempt, or of the last one of a
	// finished task.
	AgentID     string    `json:"agent_id,omitempty"`
	SubmittedAt time.Time `json:"submitted_at"`
	QueuedAt    time.Time `json:"queued_at"`
	AssignedAt  time.Time `json:"assigned_at,omitzero"`
	Deadline    time.Time `json:"deadline,omitzero"`
	RetryAt     time.Time `json:"retry_at,omitzero"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	// Output and Usage are a completed task's result.
	Output json.RawMessage `json:"output,omitempty"`
	Usage  Usage           `json:"usage"`
	// Failure is why a failed task failed.
	Failure *TaskFailure `json:"failure,omitempty"`
	// Reason is why a cancelled task was cancelled.
	Reason string `json:"reason,omitempty"`
	// Attempts are the attempts, in order.
	Attempts []TaskAttempt `json:"attempts"`
	// Position is the log position of the task's last event.
	Position uint64 `json:"position"`
}

// Ended reports whether the task is final: completed, failed (for good) or
// cancelled. A task waiting for a retry has not ended.
func (t *Task) Ended() bool {
	return t.Status == "completed" || t.Status == "failed" || t.Status == "cancelled"
}

// TaskFailure is why a task failed for good.
type TaskFailure struct {
	// Cause is "failed", "timeout", "agent_lost" or "agent_left".
	Cause  string `json:"cause"`
	Reason string `json:"reason"`
}

// TaskAttempt is one attempt of a task.
type TaskAttempt struct {
	Attempt    int       `json:"attempt"`
	AgentID    string    `json:"agent_id"`
	AssignedAt time.Time `json:"assigned_at"`
	Deadline   time.Time `json:"deadline,omitzero"`
	EndedAt    time.Time `json:"ended_at,omitzero"`
	// Outcome is "assigned" while it runs, then "completed", "cancelled"
	// or the cause of its failure: "failed", "timeout", "agent_lost",
	// "agent_left".
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
	// Duration is from assignment to its end.
	Duration time.Duration `json:"duration,omitempty"`
}

// Reader reads the log by position.
type Reader interface {
	ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error)
}

// ErrTaskHistory: the events a task index names are not the task's.
var ErrTaskHistory = errors.New("task history does not match the log")

// ReadTask reads the events at positions (from TaskIndex.Positions) and
// folds them into the task.
func ReadTask(ctx context.Context, log Reader, positions []uint64) (Task, error) {
	t := Task{Attempts: []TaskAttempt{}}
	for i, pos := range positions {
		envs, err := log.ReadAll(ctx, pos-1, 1)
		if err != nil {
			return Task{}, err
		}
		if len(envs) != 1 || envs[0].Position != pos {
			return Task{}, fmt.Errorf("%w: no event at position %d", ErrTaskHistory, pos)
		}
		msg, err := events.Decode(&envs[0])
		if err != nil {
			return Task{}, err
		}
		if _, queued := msg.(*hivev1.TaskQueued); queued != (i == 0) {
			return Task{}, fmt.Errorf("%w: %s at position %d", ErrTaskHistory, envs[0].Type, pos)
		}
		t.apply(msg)
		t.Position = pos
	}
	return t, nil
}

// apply folds one of the task's events.
func (t *Task) apply(msg proto.Message) {
	switch m := msg.(type) {
	case *hivev1.TaskQueued:
		at := deadline(m.GetAtUnixNano())
		*t = Task{ID: m.GetTaskId(), SwarmID: m.GetSwarmId(), Key: m.GetKey(), RunID: m.GetRunId(), StepID: m.GetStepId(),
			Capability: m.GetCapability(), Input: slices.Clone(m.GetInput()), Priority: int(m.GetPriority()),
			MaxAttempts: int(m.GetMaxAttempts()), Backoff: time.Duration(m.GetBackoffNanos()), Timeout: time.Duration(m.GetTimeoutNanos()),
			Planner: m.GetPlanner(), Status: "queued", SubmittedAt: at, QueuedAt: at, Attempts: []TaskAttempt{}}
	case *hivev1.TaskAssigned:
		at := deadline(m.GetAtUnixNano())
		t.Status, t.Attempt, t.AgentID, t.AssignedAt, t.Deadline = "assigned", int(m.GetAttempt()), m.GetAgentId(), at, deadline(m.GetDeadlineUnixNano())
		t.Attempts = append(t.Attempts, TaskAttempt{Attempt: int(m.GetAttempt()), AgentID: m.GetAgentId(), AssignedAt: at,
			Deadline: t.Deadline, Outcome: "assigned"})
	case *hivev1.TaskAttemptFailed:
		t.end(m.GetAttempt(), m.GetCause(), m.GetReason(), m.GetAtUnixNano(), 0)
		t.Status, t.AgentID, t.RetryAt, t.Deadline = "waiting", "", deadline(m.GetRetryAtUnixNano()), time.Time{}
	case *hivev1.TaskRequeued:
		t.Status, t.RetryAt, t.QueuedAt = "queued", time.Time{}, deadline(m.GetAtUnixNano())
	case *hivev1.TaskCompleted:
		t.end(m.GetAttempt(), "completed", "", m.GetAtUnixNano(), time.Duration(m.GetDurationNanos()))
		t.Status, t.Output, t.Usage = "completed", slices.Clone(m.GetOutput()), usageOf(m.GetUsage())
		t.finish(m.GetAgentId(), m.GetAtUnixNano())
	case *hivev1.TaskFailed:
		t.end(m.GetAttempt(), m.GetFailure().GetCause(), m.GetFailure().GetReason(), m.GetAtUnixNano(), 0)
		t.Status, t.Failure = "failed", &TaskFailure{Cause: m.GetFailure().GetCause(), Reason: m.GetFailure().GetReason()}
		t.finish(m.GetAgentId(), m.GetAtUnixNano())
	case *hivev1.TaskCancelled:
		t.end(m.GetAttempt(), "cancelled", m.GetReason(), m.GetAtUnixNano(), 0)
		t.Status, t.Reason = "cancelled", m.GetReason()
		t.finish(m.GetAgentId(), m.GetAtUnixNano())
	}
}

// end ends attempt n, if it is the one running, with outcome. A duration
// of 0 is the time from its assignment.
func (t *Task) end(n int32, outcome, reason string, atNano int64, d time.Duration) {
	i := len(t.Attempts) - 1
	if i < 0 || t.Attempts[i].Attempt != int(n) || t.Attempts[i].Outcome != "assigned" {
		return
	}
	a := &t.Attempts[i]
	a.EndedAt, a.Outcome, a.Reason, a.Duration = deadline(atNano), outcome, reason, d
	if d == 0 {
		a.Duration = a.EndedAt.Sub(a.AssignedAt)
	}
}

// finish records the end of the task: its last agent, and no deadline or
// retry any more.
func (t *Task) finish(agentID string, atNano int64) {
	if agentID != "" {
		t.AgentID = agentID
	}
	t.FinishedAt, t.Deadline, t.RetryAt = deadline(atNano), time.Time{}, time.Time{}
}
