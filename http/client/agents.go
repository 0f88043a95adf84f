package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/google/uuid"
)

// Agent is an agent as Hive lists it.
type Agent struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Capabilities   []string          `json:"capabilities"`
	Labels         map[string]string `json:"labels"`
	MaxConcurrency int               `json:"max_concurrency"`
	// Status is idle, busy, draining, lost or gone.
	Status   string    `json:"status"`
	SwarmID  string    `json:"swarm_id,omitempty"`
	Deadline time.Time `json:"deadline"`
	// Running is how many tasks the agent has in flight.
	Running      int       `json:"running"`
	RegisteredAt time.Time `json:"registered_at"`
	// Raw is the agent's JSON as Hive answered it, with every field.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an agent as the list and the agent's own answers
// show it (the latter lists its tasks rather than counting them), keeping
// the JSON in Raw.
func (a *Agent) UnmarshalJSON(b []byte) error {
	type plain Agent
	var v struct {
		plain
		Tasks map[string]json.RawMessage `json:"tasks"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*a = Agent(v.plain)
	if a.Running == 0 {
		a.Running = len(v.Tasks)
	}
	a.Raw = slices.Clone(b)
	return nil
}

// Registration is what an agent registers with.
type Registration struct {
	Name         string            `json:"name"`
	Capabilities []string          `json:"capabilities"`
	Labels       map[string]string `json:"labels,omitempty"`
	// MaxConcurrency is how many tasks the agent runs at once; 0 means 1.
	MaxConcurrency int `json:"max_concurrency,omitempty"`
}

// agentNamespace is the namespace of agent ids: an agent's id is the
// UUIDv5 (SHA-1) of its name in it, as agent.IDFor derives it (a test
// checks that the two agree).
var agentNamespace = uuid.MustParse("6d1f2c4e-8a57-4c1b-9a3e-2f0b7d5c9e41")

// AgentID returns the id Hive gives the agent registered under name.
func AgentID(name string) string {
	return uuid.NewSHA1(agentNamespace, []byte(name)).String()
}

// Register registers the agent, or resumes it: when the name is already
// registered with the same capabilities, it returns that agent, so that a
// worker restarted under its name continues where it was. So does a token
// that may not register agents (an agent token) but may read its own. A name
// registered with other capabilities is a *ProblemError with status 409.
func (c *Client) Register(ctx context.Context, r Registration) (Agent, error) {
	var a Agent
	err := c.do(ctx, retrying, http.MethodPost, "/v1/agents", r, &a)
	if s := StatusOf(err); s != http.StatusConflict && s != http.StatusForbidden {
		return a, err
	}
	existing, getErr := c.Agent(ctx, AgentID(r.Name))
	if getErr != nil {
		return Agent{}, fmt.Errorf("%w (and looking the agent up: %w)", err, getErr)
	}
	if !sameSet(existing.Capabilities, r.Capabilities) {
		return Agent{}, &ProblemError{Status: http.StatusConflict, Type: "urn:hive:problem:conflict",
			Detail: fmt.Sprintf("agent %q is registered with capabilities %v, not %v; deregister it first", r.Name, existing.Capabilities, r.Capabilities)}
	}
	return existing, nil
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// Agent returns the agent id.
func (c *Client) Agent(ctx context.Context, id string) (Agent, error) {
	var a Agent
	err := c.do(ctx, retrying, http.MethodGet, "/v1/agents/"+url.PathEscape(id), nil, &a)
	return a, err
}

// Heartbeat tells Hive the agent id is alive. Polling assignments and
// reporting on tasks count as heartbeats too.
func (c *Client) Heartbeat(ctx context.Context, id string) error {
	return c.do(ctx, retrying, http.MethodPost, "/v1/agents/"+url.PathEscape(id)+"/heartbeat", nil, nil)
}

// Drain asks Hive to give the agent id no more tasks; those in flight
// stay the agent's to finish.
func (c *Client) Drain(ctx context.Context, id, reason string) error {
	_, err := c.DrainAgent(ctx, id, reason)
	return err
}

// Deregister removes the agent id from Hive; its name may be registered
// again.
func (c *Client) Deregister(ctx context.Context, id, reason string) error {
	_, err := c.DeregisterAgent(ctx, id, reason)
	return err
}

// JoinSwarm makes the agent a member of the swarm. Joining a swarm the
// agent is a member of already changes nothing.
func (c *Client) JoinSwarm(ctx context.Context, swarmID, agentID string) error {
	_, err := c.AddMember(ctx, swarmID, agentID)
	return err
}
