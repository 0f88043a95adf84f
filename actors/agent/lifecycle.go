package agent

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

var (
	// ErrNotRegistered: the agent was never registered.
	ErrNotRegistered = fmt.Errorf("%w: agent not registered", decision.ErrNotFound)
	// ErrDeregistered: the agent has left Hive.
	ErrDeregistered = fmt.Errorf("%w: agent deregistered", decision.ErrConflict)
)

// Heartbeat says the agent is alive at At. An agent that stays silent for
// HeartbeatTimeout is lost: Hive records a new deadline only when less than
// half the timeout is left, so an agent is declared lost between half the
// timeout and the whole of it after its last heartbeat.
type Heartbeat struct {
	At               time.Time
	HeartbeatTimeout time.Duration
}

// CommandName implements the runtime's command naming.
func (Heartbeat) CommandName() string { return "Heartbeat" }

// CheckLiveness asks the agent's entity whether its deadline has passed at
// Now; the runtime sends it when the deadline comes.
type CheckLiveness struct{ Now time.Time }

// CommandName implements the runtime's command naming.
func (CheckLiveness) CommandName() string { return "CheckLiveness" }

// Drain asks the agent to finish its work and take no more.
type Drain struct{ Reason string }

// CommandName implements the runtime's command naming.
func (Drain) CommandName() string { return "DrainAgent" }

// Deregister removes the agent from Hive; its name may be registered again.
type Deregister struct{ Reason string }

// CommandName implements the runtime's command naming.
func (Deregister) CommandName() string { return "DeregisterAgent" }

func deadline(at time.Time, timeout time.Duration) int64 {
	if at.IsZero() || timeout <= 0 {
		return 0
	}
	return at.Add(timeout).UnixNano()
}

// present fails unless the agent is registered and not gone.
func (s *State) present() error {
	switch s.Status {
	case StatusUnregistered:
		return ErrNotRegistered
	case StatusGone:
		return fmt.Errorf("%w: %s", ErrDeregistered, s.ID)
	}
	return nil
}

func (s *State) heartbeat(c Heartbeat) ([]proto.Message, error) {
	if err := s.present(); err != nil {
		return nil, err
	}
	switch next := deadline(c.At, c.HeartbeatTimeout); {
	case !c.Changes(s.Deadline, s.Status == StatusLost):
		return nil, nil
	case s.Status == StatusLost:
		return []proto.Message{&hivev1.AgentRecovered{AgentId: s.ID, DeadlineUnixNano: next, SwarmId: s.Swarm}}, nil
	default:
		return []proto.Message{&hivev1.AgentHeartbeatExtended{AgentId: s.ID, DeadlineUnixNano: next}}, nil
	}
}

// Changes reports whether h changes anything for a registered agent whose
// recorded deadline is recorded (and which is lost, if lost): it recovers a
// lost agent, and extends a deadline with less than half the timeout left.
// A heartbeat that changes nothing need not be sent to the agent's entity.
func (h Heartbeat) Changes(recorded time.Time, lost bool) bool {
	return lost || (deadline(h.At, h.HeartbeatTimeout) != 0 && recorded.Sub(h.At) < h.HeartbeatTimeout/2)
}

func (s *State) checkLiveness(c CheckLiveness) ([]proto.Message, error) {
	if s.Status == StatusUnregistered || s.Status == StatusGone || s.Status == StatusLost ||
		s.Deadline.IsZero() || c.Now.Before(s.Deadline) {
		return nil, nil
	}
	return []proto.Message{&hivev1.AgentLost{
		AgentId: s.ID, DeadlineUnixNano: s.Deadline.UnixNano(), SwarmId: s.Swarm,
		Reason: fmt.Sprintf("no heartbeat by %s (checked at %s)", s.Deadline.Format(time.RFC3339Nano), c.Now.UTC().Format(time.RFC3339Nano)),
	}}, nil
}

func (s *State) drain(c Drain) ([]proto.Message, error) {
	if err := checkReason(c.Reason); err != nil {
		return nil, err
	}
	if err := s.present(); err != nil {
		return nil, err
	}
	if s.Draining {
		return nil, nil
	}
	return []proto.Message{&hivev1.AgentDraining{AgentId: s.ID, Reason: c.Reason, SwarmId: s.Swarm}}, nil
}

func (s *State) deregister(c Deregister) ([]proto.Message, error) {
	if err := checkReason(c.Reason); err != nil {
		return nil, err
	}
	switch s.Status {
	case StatusUnregistered:
		return nil, ErrNotRegistered
	case StatusGone:
		return nil, nil
	}
	return []proto.Message{&hivev1.AgentDeregistered{AgentId: s.ID, Reason: c.Reason, SwarmId: s.Swarm}}, nil
}

func checkReason(reason string) error {
	if len([]rune(reason)) > decision.MaxReasonLength {
		var f decision.Fields
		f.Add("reason", fmt.Sprintf("must be at most %d characters", decision.MaxReasonLength))
		return f.Err()
	}
	return nil
}
