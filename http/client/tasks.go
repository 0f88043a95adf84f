package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Assignment is a task in flight for an agent.
type Assignment struct {
	TaskID     string          `json:"task_id"`
	SwarmID    string          `json:"swarm_id"`
	RunID      string          `json:"run_id,omitempty"`
	StepID     string          `json:"step_id,omitempty"`
	Key        string          `json:"key,omitempty"`
	Capability string          `json:"capability,omitempty"`
	Input      json.RawMessage `json:"input,omitempty"`
	// Attempt is the attempt's number, from 1.
	Attempt int `json:"attempt"`
	// Deadline is when the attempt times out; zero if never.
	Deadline   time.Time `json:"deadline"`
	AssignedAt time.Time `json:"assigned_at"`
	// Position is the log position of the assignment.
	Position uint64 `json:"position"`
}

// Revocation is an assignment taken away before the agent reported a
// result: stop working on it, its result would be refused.
type Revocation struct {
	TaskID string `json:"task_id"`
	// Cause is "cancelled", "timeout", "agent_lost" or "agent_left".
	Cause    string `json:"cause"`
	Reason   string `json:"reason,omitempty"`
	Position uint64 `json:"position"`
}

// Work is an answer of Assignments.
type Work struct {
	// Assignments are all the agent's tasks in flight, oldest first.
	Assignments []Assignment `json:"assignments"`
	// Cancelled are the assignments taken away after the cursor asked
	// about.
	Cancelled []Revocation `json:"cancelled"`
	// Cursor is what to pass as after next time.
	Cursor uint64 `json:"cursor"`
}

// MaxWait is the longest wait Assignments may ask for.
const MaxWait = 60 * time.Second

// Assignments returns the agent's tasks in flight. It answers at once
// when one of them, or a revocation, is newer than the cursor after (0
// for a worker that knows nothing yet, e.g. after a restart: every task in
// flight is then new); otherwise Hive holds the request up to wait (at
// most MaxWait) for one. It counts as a heartbeat, also while it waits.
func (c *Client) Assignments(ctx context.Context, agentID string, wait time.Duration, after uint64) (Work, error) {
	q := url.Values{}
	if wait > 0 {
		q.Set("wait", wait.String())
	}
	if after > 0 {
		q.Set("after", strconv.FormatUint(after, 10))
	}
	var w Work
	err := c.do(ctx, retrying, http.MethodGet, "/v1/agents/"+url.PathEscape(agentID)+"/assignments?"+q.Encode(), nil, &w)
	return w, err
}

// Progress is what an agent says about a task it works on.
type Progress struct {
	AgentID string `json:"agent_id"`
	Message string `json:"message,omitempty"`
	// Percent is how far along, 0 to 100.
	Percent float64 `json:"percent"`
}

// Progress records the agent's progress on a task, as an event in the
// agent's timeline; it counts as a heartbeat. It is not retried.
func (c *Client) Progress(ctx context.Context, taskID string, p Progress) error {
	return c.do(ctx, once, http.MethodPost, "/v1/tasks/"+url.PathEscape(taskID)+"/progress", p, nil)
}

// Usage is what a task's work consumed.
type Usage struct {
	Model        string `json:"model,omitempty"`
	InputTokens  int64  `json:"input_tokens"`
	OutputTokens int64  `json:"output_tokens"`
	CostMicros   int64  `json:"cost_micros"`
}

// Result is a task's successful result.
type Result struct {
	AgentID string `json:"agent_id"`
	// Output is the task's result, JSON of at most 256 KiB; put large
	// artifacts elsewhere and their URL and hash here.
	Output json.RawMessage `json:"output,omitempty"`
	Usage  Usage           `json:"usage"`
}

// Complete reports a task's result. Reporting the same result again
// changes nothing, so it is retried.
func (c *Client) Complete(ctx context.Context, taskID string, r Result) error {
	_, err := c.CompleteTask(ctx, taskID, r)
	return err
}

// Failure is why an agent could not do a task.
type Failure struct {
	AgentID string `json:"agent_id"`
	Reason  string `json:"reason"`
	// Retryable lets the swarm try the task again, on any member, if
	// attempts remain.
	Retryable bool `json:"retryable"`
}

// Fail reports that the agent could not do the task. Reporting the same
// failure again changes nothing, so it is retried.
func (c *Client) Fail(ctx context.Context, taskID string, f Failure) error {
	_, err := c.FailTask(ctx, taskID, f)
	return err
}
