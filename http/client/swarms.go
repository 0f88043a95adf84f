package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Swarm is a swarm as Hive shows it. Commands on a swarm answer it too,
// with the log position of their last event.
type Swarm struct {
	ID string `json:"id"`
	// Topology is mesh, ring, star or hierarchical.
	Topology string `json:"topology"`
	Name     string `json:"name"`
	Leader   string `json:"leader,omitempty"`
	// Status is forming, active, budget_exhausted or dissolved.
	Status    string    `json:"status"`
	MinSize   int       `json:"min_size"`
	MaxSize   int       `json:"max_size"`
	Budget    Budget    `json:"budget"`
	Usage     Usage     `json:"usage"`
	CreatedAt time.Time `json:"created_at"`
	// DissolvedAt is when the swarm was dissolved, DissolveReason why.
	DissolvedAt    time.Time  `json:"dissolved_at,omitzero"`
	DissolveReason string     `json:"dissolve_reason,omitempty"`
	Members        []Member   `json:"members"`
	QueueDepth     int        `json:"queue_depth"`
	Tasks          []Task     `json:"tasks"`
	Proposals      []Proposal `json:"proposals"`
	// Position is the log position of a command's last event; 0 in reads.
	Position uint64 `json:"position,omitempty"`
	// Raw is the swarm's JSON as Hive answered it, with every field.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes a swarm, keeping its JSON in Raw.
func (s *Swarm) UnmarshalJSON(b []byte) error {
	type plain Swarm
	return unmarshalKeepingRaw(b, (*plain)(s), &s.Raw)
}

// Member is an agent in a swarm.
type Member struct {
	AgentID        string   `json:"agent_id"`
	Capabilities   []string `json:"capabilities"`
	MaxConcurrency int      `json:"max_concurrency"`
	// Status is active, draining or lost.
	Status string `json:"status"`
	// Load is how many of the swarm's tasks the member has in flight.
	Load int `json:"load"`
}

// Proposal is an open question put to a swarm's members.
type Proposal struct {
	ID       string    `json:"id"`
	Question string    `json:"question"`
	Options  []string  `json:"options"`
	Rule     string    `json:"rule"`
	Deadline time.Time `json:"deadline"`
}

// Budget bounds what a swarm or a run may spend; zero fields are no bound.
type Budget struct {
	Tokens     int64 `json:"tokens,omitempty"`
	CostMicros int64 `json:"cost_micros,omitempty"`
}

// Weights weigh the parts of a member's score when a swarm assigns a task;
// all zero means Hive's defaults.
type Weights struct {
	Capability float64 `json:"capability"`
	Load       float64 `json:"load"`
	Success    float64 `json:"success"`
	Speed      float64 `json:"speed"`
}

// NewSwarm is what a swarm is created with.
type NewSwarm struct {
	Name string `json:"name"`
	// Topology is mesh, ring, star or hierarchical.
	Topology string `json:"topology"`
	// Leader is the hub of a star, the coordinator of a hierarchy.
	Leader  string   `json:"leader,omitempty"`
	Weights *Weights `json:"weights,omitempty"`
	MinSize int      `json:"min_size,omitempty"`
	MaxSize int      `json:"max_size,omitempty"`
	Budget  *Budget  `json:"budget,omitempty"`
}

// Entry is a swarm, workflow run or definition as Hive lists it.
type Entry struct {
	ID      string `json:"id"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	SwarmID string `json:"swarm_id,omitempty"`
	Status  string `json:"status,omitempty"`
	// Version is a definition's newest version.
	Version   int       `json:"version,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	// Raw is the entry's JSON as Hive answered it.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an entry, keeping its JSON in Raw.
func (e *Entry) UnmarshalJSON(b []byte) error {
	type plain Entry
	return unmarshalKeepingRaw(b, (*plain)(e), &e.Raw)
}

func swarmPath(id string) string { return "/v1/swarms/" + url.PathEscape(id) }

// ListSwarms returns a page of the swarms.
func (c *Client) ListSwarms(ctx context.Context, p PageRequest) (Page[Entry], error) {
	return list[Entry](ctx, c, "/v1/swarms", p.query(), "swarms")
}

// Swarm returns the swarm id with its members, unfinished tasks and open
// proposals.
func (c *Client) Swarm(ctx context.Context, id string) (Swarm, error) {
	var s Swarm
	err := c.do(ctx, retrying, http.MethodGet, swarmPath(id), nil, &s)
	return s, err
}

// CreateSwarm creates a swarm; a name taken already is a *ProblemError
// with status 409.
func (c *Client) CreateSwarm(ctx context.Context, s NewSwarm, opts ...CallOption) (Swarm, error) {
	return c.swarmCommand(ctx, once, http.MethodPost, "/v1/swarms", s, opts)
}

// AddMember makes the agent a member of the swarm and returns the swarm.
// Joining a swarm the agent is a member of already changes nothing.
func (c *Client) AddMember(ctx context.Context, swarmID, agentID string, opts ...CallOption) (Swarm, error) {
	return c.swarmCommand(ctx, retrying, http.MethodPost, swarmPath(swarmID)+"/members", map[string]string{"agent_id": agentID}, opts)
}

// RemoveMember takes the agent out of the swarm and returns the swarm; its
// tasks in flight go to other members.
func (c *Client) RemoveMember(ctx context.Context, swarmID, agentID, reason string, opts ...CallOption) (Swarm, error) {
	path := swarmPath(swarmID) + "/members/" + url.PathEscape(agentID) + "?reason=" + url.QueryEscape(reason)
	return c.swarmCommand(ctx, retrying, http.MethodDelete, path, nil, opts)
}

// NewTask is a task submitted to a swarm directly.
type NewTask struct {
	Capability string          `json:"capability"`
	Input      json.RawMessage `json:"input,omitempty"`
	// Priority: higher goes first.
	Priority    int `json:"priority,omitempty"`
	MaxAttempts int `json:"max_attempts,omitempty"`
	// Backoff and Timeout are durations, e.g. "10s", "15m".
	Backoff string `json:"backoff,omitempty"`
	Timeout string `json:"timeout,omitempty"`
}

// SubmittedTask is Hive's answer to a task's submission.
type SubmittedTask struct {
	TaskID  string `json:"task_id"`
	SwarmID string `json:"swarm_id"`
	// Status is "queued", or "assigned" if the swarm assigned it at once,
	// to AgentID.
	Status   string `json:"status"`
	AgentID  string `json:"agent_id,omitempty"`
	Position uint64 `json:"position"`
	// Raw is the answer's JSON as Hive sent it.
	Raw json.RawMessage `json:"-"`
}

// SubmitTask queues a task in the swarm and returns its id (and its agent,
// if the swarm assigned it at once).
func (c *Client) SubmitTask(ctx context.Context, swarmID string, t NewTask, opts ...CallOption) (SubmittedTask, error) {
	var out SubmittedTask
	_, err := c.command(ctx, request{retry: once, method: http.MethodPost, path: swarmPath(swarmID) + "/tasks", body: t, out: &out}, opts)
	return out, err
}

// UnmarshalJSON decodes a submitted task, keeping its JSON in Raw.
func (t *SubmittedTask) UnmarshalJSON(b []byte) error {
	type plain SubmittedTask
	return unmarshalKeepingRaw(b, (*plain)(t), &t.Raw)
}

// NewProposal is a question put to a swarm's members.
type NewProposal struct {
	Question string   `json:"question"`
	Options  []string `json:"options"`
	// Rule is majority, unanimous or weighted.
	Rule string `json:"rule"`
	// Quorum is the share of members that must vote, 0 to 1.
	Quorum float64 `json:"quorum,omitempty"`
	// VotingPeriod is how long members may vote, e.g. "5m".
	VotingPeriod string `json:"voting_period"`
	ProposedBy   string `json:"proposed_by,omitempty"`
}

// Propose opens a proposal in the swarm and returns its id and the swarm.
func (c *Client) Propose(ctx context.Context, swarmID string, p NewProposal, opts ...CallOption) (string, Swarm, error) {
	var s Swarm
	h, err := c.command(ctx, request{retry: once, method: http.MethodPost, path: swarmPath(swarmID) + "/proposals", body: p, out: &s}, opts)
	if err != nil {
		return "", Swarm{}, err
	}
	return h.Get("Hive-Proposal-Id"), s, nil
}

// Vote casts the agent's vote on a proposal of the swarm and returns the
// swarm.
func (c *Client) Vote(ctx context.Context, swarmID, proposalID, agentID, option string, opts ...CallOption) (Swarm, error) {
	path := swarmPath(swarmID) + "/proposals/" + url.PathEscape(proposalID) + "/votes"
	return c.swarmCommand(ctx, once, http.MethodPost, path, map[string]string{"agent_id": agentID, "option": option}, opts)
}

// SwarmSettings are what UpdateSwarm changes; a nil field keeps its value.
type SwarmSettings struct {
	// Topology is mesh, ring, star or hierarchical.
	Topology *string `json:"topology,omitempty"`
	// Leader is a member to lead a star or a hierarchy.
	Leader  *string  `json:"leader,omitempty"`
	Weights *Weights `json:"weights,omitempty"`
	MinSize *int     `json:"min_size,omitempty"`
	// MaxSize must admit the swarm's members; 0 is no limit.
	MaxSize *int `json:"max_size,omitempty"`
	// Reason is why, recorded with the change.
	Reason string `json:"reason,omitempty"`
}

// UpdateSwarm changes the swarm's settings and returns the swarm. Invalid
// settings are a *ProblemError with status 422 naming the field; the same
// settings again change nothing, so it is retried.
func (c *Client) UpdateSwarm(ctx context.Context, id string, s SwarmSettings, opts ...CallOption) (Swarm, error) {
	return c.swarmCommand(ctx, retrying, http.MethodPatch, swarmPath(id), s, opts)
}

// DissolveSwarm dissolves the swarm and returns it: its members leave and
// it takes no more work. While it has unfinished runs or tasks it is a
// *ProblemError with status 409, unless force, which cancels them.
// Dissolving a dissolved swarm changes nothing, so it is retried.
func (c *Client) DissolveSwarm(ctx context.Context, id, reason string, force bool, opts ...CallOption) (Swarm, error) {
	q := url.Values{"force": {strconv.FormatBool(force)}}
	if reason != "" {
		q.Set("reason", reason)
	}
	return c.swarmCommand(ctx, retrying, http.MethodDelete, swarmPath(id)+"?"+q.Encode(), nil, opts)
}

func (c *Client) swarmCommand(ctx context.Context, r retry, method, path string, body any, opts []CallOption) (Swarm, error) {
	var s Swarm
	_, err := c.command(ctx, request{retry: r, method: method, path: path, body: body, out: &s}, opts)
	return s, err
}
