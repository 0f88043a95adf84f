// Package agent holds the decisions of the agent entity: an AI agent process
// registered with Hive. Its state is rebuilt from its events by Apply, and
// Decide is a pure function of that state and a command, so that decisions
// can be tested, audited and replayed without actors.
package agent

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Kind is the entity kind of agents; an agent's stream is "agent-<id>".
const Kind = "agent"

// Status is an agent's life-cycle status.
type Status string

// Statuses of an agent. Gone outranks lost, which outranks draining, which
// outranks busy (an agent with tasks in flight) and idle.
const (
	StatusUnregistered Status = ""
	StatusIdle         Status = "idle"
	StatusBusy         Status = "busy"
	StatusDraining     Status = "draining"
	StatusLost         Status = "lost"
	StatusGone         Status = "gone"
)

// idNamespace scopes the name-derived ids of agents.
var idNamespace = uuid.MustParse("6d1f2c4e-8a57-4c1b-9a3e-2f0b7d5c9e41")

// IDFor returns the id of the agent registered under name. Names are unique,
// so an agent's identity is derived from its name: every request to register
// a name reaches the same entity, which decides once.
func IDFor(name string) string {
	return uuid.NewSHA1(idNamespace, []byte(name)).String()
}

// State is what Hive knows about one agent, rebuilt from its events.
type State struct {
	ID             string            `json:"id"`
	Name           string            `json:"name"`
	Capabilities   []string          `json:"capabilities"`
	Labels         map[string]string `json:"labels"`
	MaxConcurrency uint32            `json:"max_concurrency"`
	Status         Status            `json:"status"`
	RegisteredAt   time.Time         `json:"registered_at"`
	// Deadline is when the agent is lost if Hive hears nothing from it.
	Deadline time.Time `json:"deadline"`
	// Draining is kept while the agent is lost, for when it recovers.
	Draining bool `json:"-"`
	// Swarm is the swarm the agent is a member of, if any.
	Swarm string `json:"swarm_id,omitempty"`
	// Tasks are the agent's assignments in flight, by task id.
	Tasks map[string]Task `json:"tasks"`
	// Stats are the agent's results so far.
	Stats Stats `json:"stats"`
	// swarmSeen is, per swarm, the version of the newest swarm event the
	// agent recorded, so that a swarm event delivered again after a crash
	// changes nothing (see StartTask).
	swarmSeen map[string]uint64
	// Version is the version of the agent's stream this state reflects.
	Version uint64 `json:"version"`
}

// Apply evolves the state by one recorded event.
func (s *State) Apply(env *events.Envelope, msg proto.Message) error {
	switch m := msg.(type) {
	case *hivev1.AgentRegistered:
		*s = State{
			ID: m.GetAgentId(), Name: m.GetName(), Capabilities: slices.Clone(m.GetCapabilities()),
			Labels: maps.Clone(m.GetLabels()), MaxConcurrency: m.GetMaxConcurrency(),
			Status: StatusIdle, RegisteredAt: env.RecordedAt, Deadline: unixNano(m.GetDeadlineUnixNano()),
			Tasks: map[string]Task{},
		}
	case *hivev1.AgentHeartbeatExtended:
		s.Deadline = unixNano(m.GetDeadlineUnixNano())
	case *hivev1.AgentLost:
		s.Status = StatusLost
	case *hivev1.AgentRecovered:
		s.Deadline = unixNano(m.GetDeadlineUnixNano())
		s.Status = StatusIdle
		if s.Draining {
			s.Status = StatusDraining
		}
	case *hivev1.AgentDraining:
		s.Draining = true
		if s.Status == StatusIdle || s.Status == StatusBusy {
			s.Status = StatusDraining
		}
	case *hivev1.AgentDeregistered:
		s.Status, s.Swarm = StatusGone, ""
	default:
		if !s.applyWork(env, msg) {
			return fmt.Errorf("agent %s: %w: %s", s.ID, events.ErrUnknownType, env.Type)
		}
	}
	s.settle()
	s.Version = env.Version
	return nil
}

// settle derives busy from idle and back from the tasks in flight.
func (s *State) settle() {
	if s.Status == StatusIdle || s.Status == StatusBusy {
		s.Status = StatusIdle
		if len(s.Tasks) > 0 {
			s.Status = StatusBusy
		}
	}
}

// unixNano is the time of a deadline field; 0 is no deadline.
func unixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// View returns a copy of the state that shares nothing with it.
func (s *State) View() any {
	v := *s
	v.Capabilities = append([]string{}, s.Capabilities...)
	v.Labels = make(map[string]string, len(s.Labels))
	maps.Copy(v.Labels, s.Labels)
	v.Tasks = maps.Clone(s.Tasks)
	if v.Tasks == nil {
		v.Tasks = map[string]Task{}
	}
	v.swarmSeen = maps.Clone(s.swarmSeen)
	return v
}
