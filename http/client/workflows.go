package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"
)

// Run is a workflow run as Hive shows it. Commands on a run answer it too,
// with the log position of their last event.
type Run struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	SwarmID string `json:"swarm_id"`
	// Status is running, paused, budget_exhausted, completed, failed or
	// cancelled.
	Status         string    `json:"status"`
	StatusReason   string    `json:"status_reason,omitempty"`
	Budget         Budget    `json:"budget"`
	Usage          Usage     `json:"usage"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	StartedAt      time.Time `json:"started_at,omitzero"`
	FinishedAt     time.Time `json:"finished_at,omitzero"`
	StepsTotal     int       `json:"steps_total"`
	StepsCompleted int       `json:"steps_completed"`
	Steps          []Step    `json:"steps"`
	// Position is the log position of a command's last event; 0 in reads.
	Position uint64 `json:"position,omitempty"`
	// Ended is, in reads, whether the run has ended (Hive's Hive-Ended):
	// completed, failed, cancelled or budget_exhausted, going no further
	// unless an operator acts.
	Ended bool `json:"-"`
	// Raw is the run's JSON as Hive answered it, with every field.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a run, keeping its JSON in Raw.
func (r *Run) UnmarshalJSON(b []byte) error {
	type plain Run
	return unmarshalKeepingRaw(b, (*plain)(r), &r.Raw)
}

// Step is a step of a run.
type Step struct {
	ID         string   `json:"id"`
	Capability string   `json:"capability,omitempty"`
	DependsOn  []string `json:"depends_on"`
	// Status is pending, awaiting_approval, ready, dispatched, assigned,
	// completed, failed, rejected or cancelled.
	Status       string          `json:"status"`
	Attempt      int             `json:"attempt,omitempty"`
	AgentID      string          `json:"agent_id,omitempty"`
	TaskID       string          `json:"task_id,omitempty"`
	Output       json.RawMessage `json:"output,omitempty"`
	Error        string          `json:"error,omitempty"`
	ReadyAt      time.Time       `json:"ready_at,omitzero"`
	DispatchedAt time.Time       `json:"dispatched_at,omitzero"`
	AssignedAt   time.Time       `json:"assigned_at,omitzero"`
	FinishedAt   time.Time       `json:"finished_at,omitzero"`
}

// NewRun is what a run starts from: Steps, or a saved Definition.
type NewRun struct {
	Name    string `json:"name,omitempty"`
	SwarmID string `json:"swarm_id"`
	// Steps is the DAG, a JSON array of steps (see the README).
	Steps json.RawMessage `json:"steps,omitempty"`
	// Definition names a saved definition to run instead of Steps: its
	// DefinitionVersion, or its newest if 0.
	Definition        string  `json:"definition,omitempty"`
	DefinitionVersion int     `json:"definition_version,omitempty"`
	Budget            *Budget `json:"budget,omitempty"`
}

// RunFilter selects runs to list; empty fields select all.
type RunFilter struct {
	Status  string
	SwarmID string
	PageRequest
}

// Note is who gives an operator's command on a run, and why.
type Note struct {
	By      string `json:"by,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Comment string `json:"comment,omitempty"`
}

func runPath(id string) string { return "/v1/workflows/" + url.PathEscape(id) }

// StartRun starts a workflow run and returns it.
func (c *Client) StartRun(ctx context.Context, r NewRun, opts ...CallOption) (Run, error) {
	return c.runCommand(ctx, http.MethodPost, "/v1/workflows", r, opts)
}

// ListRuns returns a page of the runs that match f.
func (c *Client) ListRuns(ctx context.Context, f RunFilter) (Page[Entry], error) {
	q := f.query()
	setIf(q, "status", f.Status)
	setIf(q, "swarm_id", f.SwarmID)
	return list[Entry](ctx, c, "/v1/workflows", q, "workflows")
}

// Run returns the run id with its steps.
func (c *Client) Run(ctx context.Context, id string) (Run, error) {
	var r Run
	h, err := c.send(ctx, request{retry: retrying, method: http.MethodGet, path: runPath(id), out: &r})
	r.Ended = h.Get(endedHeader) == "true"
	return r, err
}

// PauseRun stops the run's new assignments; running tasks finish.
func (c *Client) PauseRun(ctx context.Context, id string, n Note, opts ...CallOption) (Run, error) {
	return c.runCommand(ctx, http.MethodPost, runPath(id)+"/pause", n, opts)
}

// ResumeRun resumes a paused run.
func (c *Client) ResumeRun(ctx context.Context, id string, n Note, opts ...CallOption) (Run, error) {
	return c.runCommand(ctx, http.MethodPost, runPath(id)+"/resume", n, opts)
}

// CancelRun cancels the run: running tasks are told to stop and their
// results are ignored.
func (c *Client) CancelRun(ctx context.Context, id string, n Note, opts ...CallOption) (Run, error) {
	return c.runCommand(ctx, http.MethodPost, runPath(id)+"/cancel", n, opts)
}

// ApproveStep lets a step waiting for approval go on.
func (c *Client) ApproveStep(ctx context.Context, runID, stepID string, n Note, opts ...CallOption) (Run, error) {
	return c.runCommand(ctx, http.MethodPost, runPath(runID)+"/steps/"+url.PathEscape(stepID)+"/approve", n, opts)
}

// RejectStep refuses a step waiting for approval.
func (c *Client) RejectStep(ctx context.Context, runID, stepID string, n Note, opts ...CallOption) (Run, error) {
	return c.runCommand(ctx, http.MethodPost, runPath(runID)+"/steps/"+url.PathEscape(stepID)+"/reject", n, opts)
}

// RetryStep tries a failed step again.
func (c *Client) RetryStep(ctx context.Context, runID, stepID string, n Note, opts ...CallOption) (Run, error) {
	return c.runCommand(ctx, http.MethodPost, runPath(runID)+"/steps/"+url.PathEscape(stepID)+"/retry", n, opts)
}

func (c *Client) runCommand(ctx context.Context, method, path string, body any, opts []CallOption) (Run, error) {
	var r Run
	_, err := c.command(ctx, request{retry: once, method: method, path: path, body: body, out: &r}, opts)
	return r, err
}
