package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Task is a task, finished or not.
type Task struct {
	ID          string          `json:"id"`
	SwarmID     string          `json:"swarm_id"`
	RunID       string          `json:"run_id,omitempty"`
	StepID      string          `json:"step_id,omitempty"`
	Capability  string          `json:"capability,omitempty"`
	Input       json.RawMessage `json:"input,omitempty"`
	Priority    int             `json:"priority"`
	MaxAttempts int             `json:"max_attempts"`
	// Status is queued, waiting, assigned, completed, failed or cancelled.
	Status      string    `json:"status"`
	Attempt     int       `json:"attempt"`
	AgentID     string    `json:"agent_id,omitempty"`
	SubmittedAt time.Time `json:"submitted_at"`
	AssignedAt  time.Time `json:"assigned_at,omitzero"`
	Deadline    time.Time `json:"deadline,omitzero"`
	FinishedAt  time.Time `json:"finished_at,omitzero"`
	// Output is a completed task's result.
	Output json.RawMessage `json:"output,omitempty"`
	// Failure is why a failed task failed.
	Failure *struct {
		Cause  string `json:"cause"`
		Reason string `json:"reason"`
	} `json:"failure,omitempty"`
	// Reason is why a cancelled task was cancelled.
	Reason string `json:"reason,omitempty"`
	// Attempts are the task's attempts, in order.
	Attempts []TaskAttempt `json:"attempts"`
	// Ended is whether the task has ended (Hive's Hive-Ended): completed,
	// failed for good or cancelled.
	Ended bool `json:"-"`
	// Raw is the task's JSON as Hive answered it, with every field.
	Raw json.RawMessage `json:"-"`
}

// TaskAttempt is one attempt of a task.
type TaskAttempt struct {
	Attempt    int       `json:"attempt"`
	AgentID    string    `json:"agent_id"`
	AssignedAt time.Time `json:"assigned_at"`
	EndedAt    time.Time `json:"ended_at,omitzero"`
	// Outcome is "assigned" while it runs, then "completed", "cancelled"
	// or the cause of its failure.
	Outcome string `json:"outcome"`
	Reason  string `json:"reason,omitempty"`
}

// UnmarshalJSON decodes a task, keeping its JSON in Raw.
func (t *Task) UnmarshalJSON(b []byte) error {
	type plain Task
	return unmarshalKeepingRaw(b, (*plain)(t), &t.Raw)
}

func taskPath(id string) string { return "/v1/tasks/" + url.PathEscape(id) }

// Task returns the task id, finished or not, with its attempts and, once
// it ended, its output or failure.
func (c *Client) Task(ctx context.Context, id string) (Task, error) {
	var t Task
	h, err := c.send(ctx, request{retry: retrying, method: http.MethodGet, path: taskPath(id), out: &t})
	t.Ended = h.Get(endedHeader) == "true"
	return t, err
}

// TaskReport is Hive's answer to a task's result.
type TaskReport struct {
	TaskID  string `json:"task_id"`
	SwarmID string `json:"swarm_id"`
	AgentID string `json:"agent_id"`
	// Reported is completed or failed.
	Reported string `json:"reported"`
	// Position is the log position of the swarm's decision.
	Position uint64 `json:"position"`
	// Raw is the answer's JSON as Hive sent it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a report, keeping its JSON in Raw.
func (r *TaskReport) UnmarshalJSON(b []byte) error {
	type plain TaskReport
	return unmarshalKeepingRaw(b, (*plain)(r), &r.Raw)
}

// CompleteTask reports a task's result. Reporting the same result again
// changes nothing, so it is retried.
func (c *Client) CompleteTask(ctx context.Context, taskID string, r Result, opts ...CallOption) (TaskReport, error) {
	return c.report(ctx, taskPath(taskID)+"/complete", r, opts)
}

// FailTask reports that the agent could not do the task. Reporting the
// same failure again changes nothing, so it is retried.
func (c *Client) FailTask(ctx context.Context, taskID string, f Failure, opts ...CallOption) (TaskReport, error) {
	return c.report(ctx, taskPath(taskID)+"/fail", f, opts)
}

func (c *Client) report(ctx context.Context, path string, body any, opts []CallOption) (TaskReport, error) {
	var r TaskReport
	_, err := c.command(ctx, request{retry: retrying, method: http.MethodPost, path: path, body: body, out: &r}, opts)
	return r, err
}
