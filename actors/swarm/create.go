package swarm

import (
	"fmt"
	"time"

	"hive/actors/decision"
	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// Topology is how a swarm coordinates its members; see the package
// documentation for how each assigns tasks.
type Topology string

// Topologies of a swarm.
const (
	Mesh         Topology = "mesh"
	Ring         Topology = "ring"
	Star         Topology = "star"
	Hierarchical Topology = "hierarchical"
)

// valid reports whether t is one of the topologies.
func (t Topology) valid() bool {
	return t == Mesh || t == Ring || t == Star || t == Hierarchical
}

// led reports whether swarms of topology t need a leader.
func (t Topology) led() bool { return t == Star || t == Hierarchical }

// Create asks Hive to create a swarm under a unique name.
type Create struct {
	Name     string
	Topology Topology
	// Leader is the agent to lead a star (hub) or hierarchical
	// (coordinator) swarm; optional.
	Leader string
	// Weights of assignment scores; the zero Weights is DefaultWeights.
	Weights Weights
	// MinSize is how many members the swarm needs before it assigns
	// tasks; MaxSize how many it admits, 0 for no limit.
	MinSize, MaxSize int
	// Budget bounds what the swarm's tasks may spend; zero is no bound.
	Budget ledger.Budget
	At     time.Time
}

// CommandName implements the runtime's command naming.
func (Create) CommandName() string { return "CreateSwarm" }

// Validate checks the command on its own, before it reaches the entity.
func (c Create) Validate() error {
	var f decision.Fields
	f.Name("name", c.Name, decision.MaxNameLength)
	if !c.Topology.valid() {
		f.Add("topology", decision.Quote(string(c.Topology))+": must be one of mesh, ring, star, hierarchical")
	}
	checkUUID(&f, "leader", c.Leader, false)
	c.Weights.Validate(&f, "weights")
	if c.MinSize < 0 || c.MinSize > MaxMembers {
		f.Add("min_size", fmt.Sprintf("must be between 0 and %d", MaxMembers))
	}
	switch {
	case c.MaxSize < 0 || c.MaxSize > MaxMembers:
		f.Add("max_size", fmt.Sprintf("must be between 0 (no limit) and %d", MaxMembers))
	case c.MaxSize > 0 && c.MaxSize < c.MinSize:
		f.Add("max_size", "must be at least min_size (or 0 for no limit)")
	}
	c.Budget.Validate(&f, "budget")
	checkAt(&f, "at", c.At)
	return f.Err()
}

func (s *State) create(c Create) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if s.id != "" {
		return fmt.Errorf("%w: %q is swarm %s", ErrAlreadyExists, s.name, s.id)
	}
	s.emit(&hivev1.SwarmCreated{
		SwarmId: IDFor(c.Name), Name: c.Name, Topology: string(c.Topology), LeaderId: c.Leader,
		Weights: c.Weights.resolved().proto(), MinSize: uint32(c.MinSize), MaxSize: uint32(c.MaxSize),
		Budget: c.Budget.Proto(), AtUnixNano: nanos(c.At),
	})
	return nil
}

func (s *State) applyCreated(m *hivev1.SwarmCreated) {
	*s = State{
		id: m.GetSwarmId(), name: m.GetName(), topology: Topology(m.GetTopology()), leader: m.GetLeaderId(),
		weights: weightsFromProto(m.GetWeights()).resolved(), minSize: int(m.GetMinSize()), maxSize: int(m.GetMaxSize()),
		budget: ledger.BudgetFromProto(m.GetBudget()), createdAt: unixNano(m.GetAtUnixNano()),
		ov: s.ov, cfg: s.cfg, at: s.at,
	}
	if s.ov != nil {
		s.tasks, s.keys, s.paused, s.proposals = s.tasks.draft(), s.keys.draft(), s.paused.draft(), s.proposals.draft()
		s.finished, s.decided, s.agentVersions = s.finished.draft(), s.decided.draft(), s.agentVersions.draft()
		s.ov.ownMembers, s.ov.owned = true, map[*member]struct{}{}
	}
}

// created fails unless the swarm was created.
func (s *State) created() error {
	if s.id == "" {
		return ErrSwarmNotFound
	}
	return nil
}
