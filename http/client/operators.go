package client

import (
	"context"
	"net/http"
	"net/url"
)

// The operator's calls on agents. Workers use Register, Agent, Heartbeat,
// Drain and Deregister (agents.go); these return what Hive answered.

// AgentFilter selects agents to list; empty fields select all.
type AgentFilter struct {
	// Status is idle, busy, draining, lost or gone.
	Status     string
	Capability string
	SwarmID    string
	// Label is "key=value".
	Label string
	PageRequest
}

// ListAgents returns a page of the agents that match f.
func (c *Client) ListAgents(ctx context.Context, f AgentFilter) (Page[Agent], error) {
	q := f.query()
	setIf(q, "status", f.Status)
	setIf(q, "capability", f.Capability)
	setIf(q, "swarm_id", f.SwarmID)
	setIf(q, "label", f.Label)
	return list[Agent](ctx, c, "/v1/agents", q, "agents")
}

// RegisterAgent registers an agent and returns it. Unlike Register, a name
// already registered is an error (a *ProblemError with status 409).
func (c *Client) RegisterAgent(ctx context.Context, r Registration, opts ...CallOption) (Agent, error) {
	var a Agent
	_, err := c.command(ctx, request{retry: once, method: http.MethodPost, path: "/v1/agents", body: r, out: &a}, opts)
	return a, err
}

// DrainAgent gives the agent id no more tasks, and returns it; those in
// flight stay the agent's to finish. Draining again changes nothing.
func (c *Client) DrainAgent(ctx context.Context, id, reason string, opts ...CallOption) (Agent, error) {
	var a Agent
	_, err := c.command(ctx, request{retry: retrying, method: http.MethodPost, path: "/v1/agents/" + url.PathEscape(id) + "/drain",
		body: map[string]string{"reason": reason}, out: &a}, opts)
	return a, err
}

// DeregisterAgent removes the agent id from Hive and returns it, gone; its
// name may be registered again.
func (c *Client) DeregisterAgent(ctx context.Context, id, reason string, opts ...CallOption) (Agent, error) {
	var a Agent
	_, err := c.command(ctx, request{retry: retrying, method: http.MethodDelete,
		path: "/v1/agents/" + url.PathEscape(id) + "?reason=" + url.QueryEscape(reason), out: &a}, opts)
	return a, err
}
