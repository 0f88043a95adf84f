package projections

import (
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Agent is one row of the agents read model.
type Agent struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Capabilities   []string          `json:"capabilities"`
	Labels         map[string]string `json:"labels"`
	MaxConcurrency uint32            `json:"max_concurrency"`
	Status         string            `json:"status"`
	RegisteredAt   time.Time         `json:"registered_at"`
	// Deadline is when the agent is lost if Hive hears nothing from it.
	Deadline time.Time `json:"deadline"`
	draining bool
	// SwarmID is the swarm the agent is a member of, if any.
	SwarmID string `json:"swarm_id,omitempty"`
	// Running is how many tasks the agent has in flight.
	Running int `json:"running"`
	// Completed and Failed count the agent's finished tasks.
	Completed uint64 `json:"tasks_completed"`
	Failed    uint64 `json:"tasks_failed"`
	// MeanDuration is the mean time the agent took to complete a task.
	MeanDuration  time.Duration `json:"mean_duration"`
	totalDuration time.Duration
	// Load is Running over MaxConcurrency, 0 to 1.
	Load float64 `json:"load"`
	// LastHeartbeat is when Hive last heard from or about the agent in a
	// way that proves it alive: its registration, a heartbeat that moved
	// its deadline, a recovery, progress, a task result.
	LastHeartbeat time.Time `json:"last_heartbeat"`
	// SuccessRate is Completed over Completed plus Failed; null before the
	// agent finished a task.
	SuccessRate *float64 `json:"success_rate" jsonschema:"nullable"`
	// Usage is what the agent's completed tasks consumed.
	Usage UsageTotals `json:"usage"`
	// Version is the version of the agent's stream the row reflects.
	Version uint64 `json:"version"`
	// Position is the log position of the last event that changed the row.
	Position uint64 `json:"position"`
}

// Agents is the read model of registered agents, for listing and lookup.
// It is safe for concurrent use: one projection goroutine applies, any
// number of readers read.
type Agents struct {
	mu         sync.RWMutex
	checkpoint uint64
	byID       map[string]*Agent
	order      []string // ids in registration order
	touched    touched
}

var (
	_ Live       = (*Agents)(nil)
	_ Persistent = (*Agents)(nil)
)

// NewAgents returns an empty agents read model.
func NewAgents() *Agents { return &Agents{byID: make(map[string]*Agent)} }

// Name implements Projection.
func (a *Agents) Name() string { return "agents" }

// Checkpoint implements Projection.
func (a *Agents) Checkpoint() uint64 {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return a.checkpoint
}

// Apply implements Projection.
func (a *Agents) Apply(c *events.Committed) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.applyOne(c)
}

// ApplyBatch implements Batcher.
func (a *Agents) ApplyBatch(batch []*events.Committed) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return applyEach(batch, a.applyOne)
}

// applyOne applies c; a.mu is held.
func (a *Agents) applyOne(c *events.Committed) error {
	env := &c.Envelope
	if strings.HasPrefix(env.Type, "hive.v1.Agent") {
		msg, err := c.Message()
		if err != nil {
			return err
		}
		a.apply(env, msg)
	}
	a.checkpoint = env.Position
	return nil
}

func (a *Agents) apply(env *events.Envelope, msg proto.Message) {
	if m, ok := msg.(*hivev1.AgentRegistered); ok {
		a.register(env, m)
		return
	}
	ag, ok := a.byID[agentID(msg)]
	if !ok {
		return
	}
	ag.Version, ag.Position = env.Version, env.Position
	a.touched.add(ag.ID)
	switch m := msg.(type) {
	case *hivev1.AgentHeartbeatExtended:
		ag.Deadline = deadline(m.GetDeadlineUnixNano())
		ag.LastHeartbeat = env.RecordedAt
	case *hivev1.AgentTaskProgress:
		ag.LastHeartbeat = env.RecordedAt
	case *hivev1.AgentLost:
		ag.Status = "lost"
	case *hivev1.AgentRecovered:
		ag.LastHeartbeat = env.RecordedAt
		ag.Deadline = deadline(m.GetDeadlineUnixNano())
		ag.Status = "idle"
		if ag.draining {
			ag.Status = "draining"
		}
	case *hivev1.AgentDraining:
		ag.draining = true
		if ag.Status == "idle" || ag.Status == "busy" {
			ag.Status = "draining"
		}
	case *hivev1.AgentDeregistered:
		ag.Status, ag.SwarmID = "gone", ""
	case *hivev1.AgentJoinedSwarm:
		ag.SwarmID = m.GetSwarmId()
	case *hivev1.AgentLeftSwarm:
		ag.SwarmID = ""
	case *hivev1.AgentTaskStarted:
		ag.Running++
	case *hivev1.AgentTaskFinished:
		ag.finished(env, m)
	}
	ag.Load = 0
	if ag.MaxConcurrency > 0 {
		ag.Load = min(float64(ag.Running)/float64(ag.MaxConcurrency), 1)
	}
	if ag.Status == "idle" || ag.Status == "busy" {
		ag.Status = "idle"
		if ag.Running > 0 {
			ag.Status = "busy"
		}
	}
}

// finished counts an ended assignment; the agent's own result (completed or
// failed) also proves it alive.
func (ag *Agent) finished(env *events.Envelope, m *hivev1.AgentTaskFinished) {
	ag.Running = max(ag.Running-1, 0)
	switch m.GetOutcome() {
	case "completed":
		ag.Completed++
		ag.Usage.count(m.GetUsage())
		ag.totalDuration += time.Duration(m.GetDurationNanos())
		ag.MeanDuration = ag.totalDuration / time.Duration(ag.Completed)
		ag.LastHeartbeat = env.RecordedAt
	case "failed":
		ag.Failed++
		ag.LastHeartbeat = env.RecordedAt
	case "timed_out":
		ag.Failed++
	default:
		return
	}
	rate := float64(ag.Completed) / float64(ag.Completed+ag.Failed)
	ag.SuccessRate = &rate
}

// agentID is the agent an agent event is about.
func agentID(msg proto.Message) string {
	if m, ok := msg.(interface{ GetAgentId() string }); ok {
		return m.GetAgentId()
	}
	return ""
}

func deadline(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func (a *Agents) register(env *events.Envelope, m *hivev1.AgentRegistered) {
	if _, ok := a.byID[m.GetAgentId()]; !ok {
		a.order = append(a.order, m.GetAgentId())
	}
	a.touched.add(m.GetAgentId())
	a.byID[m.GetAgentId()] = &Agent{
		ID:             m.GetAgentId(),
		Name:           m.GetName(),
		Capabilities:   nonNil(m.GetCapabilities()),
		Labels:         nonNilMap(m.GetLabels()),
		MaxConcurrency: m.GetMaxConcurrency(),
		Status:         "idle",
		RegisteredAt:   env.RecordedAt,
		Deadline:       deadline(m.GetDeadlineUnixNano()),
		LastHeartbeat:  env.RecordedAt,
		Version:        env.Version,
		Position:       env.Position,
	}
}

// Get returns the agent with id, and whether there is one.
func (a *Agents) Get(id string) (Agent, bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	ag, ok := a.byID[id]
	if !ok {
		return Agent{}, false
	}
	return ag.clone(), true
}

// Liveness returns the recorded deadline of the agent with id and whether
// it is lost, without copying the agent, and whether there is one.
func (a *Agents) Liveness(id string) (deadline time.Time, lost, ok bool) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	ag, ok := a.byID[id]
	if !ok {
		return time.Time{}, false, false
	}
	return ag.Deadline, ag.Status == "lost", true
}

// Page returns up to limit agents for which match is true, in registration
// order, looking from the from-th registered agent on, and where to look
// next (0 when there is nothing more).
func (a *Agents) Page(from, limit int, match func(*Agent) bool) ([]Agent, int) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := []Agent{}
	for i := from; i < len(a.order); i++ {
		if ag := a.byID[a.order[i]]; match(ag) {
			if len(out) == limit {
				return out, i
			}
			out = append(out, ag.clone())
		}
	}
	return out, 0
}

func (ag *Agent) clone() Agent {
	c := *ag
	c.Capabilities = slices.Clone(ag.Capabilities)
	c.Labels = maps.Clone(ag.Labels)
	return c
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return slices.Clone(s)
}

func nonNilMap(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return maps.Clone(m)
}
