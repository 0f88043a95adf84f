package swarm

import (
	"fmt"
	"time"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// UpdateSettings changes a swarm's settings; a nil field keeps its value.
// The values are checked as at creation, and against the swarm: a leader
// must be a member, and MaxSize must admit the members the swarm has and
// be at least MinSize. Settings equal to the swarm's decide nothing.
type UpdateSettings struct {
	Topology *Topology
	// Leader is the member to lead a star or a hierarchy; it cannot be
	// cleared, only replaced.
	Leader  *string
	Weights *Weights
	// MinSize and MaxSize bound the swarm's members; a MaxSize of 0 is no
	// limit.
	MinSize, MaxSize *int
	// Reason is why, recorded with the change; optional.
	Reason string
	At     time.Time
}

// CommandName implements the runtime's command naming.
func (UpdateSettings) CommandName() string { return "UpdateSwarmSettings" }

// Validate checks the command on its own, before it reaches the entity.
func (c UpdateSettings) Validate() error {
	var f decision.Fields
	if c.Topology != nil && !c.Topology.valid() {
		f.Add("topology", fmt.Sprintf("%q: must be one of mesh, ring, star, hierarchical", *c.Topology))
	}
	if c.Leader != nil {
		checkUUID(&f, "leader", *c.Leader, true)
	}
	if c.Weights != nil {
		c.Weights.Validate(&f, "weights")
	}
	if c.MinSize != nil && (*c.MinSize < 0 || *c.MinSize > MaxMembers) {
		f.Add("min_size", fmt.Sprintf("must be between 0 and %d", MaxMembers))
	}
	if c.MaxSize != nil && (*c.MaxSize < 0 || *c.MaxSize > MaxMembers) {
		f.Add("max_size", fmt.Sprintf("must be between 0 (no limit) and %d", MaxMembers))
	}
	checkReason(&f, c.Reason)
	checkAt(&f, "at", c.At)
	return f.Err()
}

// settings are the values SwarmSettingsChanged records.
type settings struct {
	topology         Topology
	weights          Weights
	minSize, maxSize int
}

func (s *State) updateSettings(c UpdateSettings) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.created(); err != nil {
		return err
	}
	now := settings{topology: s.topology, weights: s.weights, minSize: s.minSize, maxSize: s.maxSize}
	next := now.with(c)
	if err := s.checkSettings(next, c.Leader); err != nil {
		return err
	}
	if changed := now.diff(next); len(changed) > 0 {
		s.emit(&hivev1.SwarmSettingsChanged{
			SwarmId: s.id, Changed: changed, Topology: string(next.topology), Weights: next.weights.proto(),
			MinSize: uint32(next.minSize), MaxSize: uint32(next.maxSize), PreviousTopology: string(now.topology),
			PreviousWeights: now.weights.proto(), PreviousMinSize: uint32(now.minSize), PreviousMaxSize: uint32(now.maxSize),
			Reason: c.Reason, AtUnixNano: nanos(c.At),
		})
	}
	s.lead(c)
	if len(s.ov.out) > 0 {
		s.assign(c.At)
	}
	return nil
}

// with is s changed by c.
func (s settings) with(c UpdateSettings) settings {
	if c.Topology != nil {
		s.topology = *c.Topology
	}
	if c.Weights != nil {
		s.weights = c.Weights.resolved()
	}
	if c.MinSize != nil {
		s.minSize = *c.MinSize
	}
	if c.MaxSize != nil {
		s.maxSize = *c.MaxSize
	}
	return s
}

// diff names the settings that differ between s and next.
func (s settings) diff(next settings) []string {
	var changed []string
	for _, d := range []struct {
		name string
		diff bool
	}{{"topology", s.topology != next.topology}, {"weights", s.weights != next.weights},
		{"min_size", s.minSize != next.minSize}, {"max_size", s.maxSize != next.maxSize}} {
		if d.diff {
			changed = append(changed, d.name)
		}
	}
	return changed
}

// checkSettings checks new settings against the swarm's members.
func (s *State) checkSettings(next settings, leader *string) error {
	var f decision.Fields
	switch {
	case next.maxSize > 0 && next.maxSize < next.minSize:
		f.Add("max_size", fmt.Sprintf("must be at least min_size, %d (or 0 for no limit)", next.minSize))
	case next.maxSize > 0 && next.maxSize < len(s.members):
		f.Add("max_size", fmt.Sprintf("must admit the swarm's %d members (or be 0 for no limit)", len(s.members)))
	}
	if leader != nil && s.member(*leader) < 0 {
		f.Add("leader", fmt.Sprintf("%s is not a member of the swarm", *leader))
	}
	return f.Err()
}

// lead decides the leader after a change of settings: the one c names, or
// the first member if the swarm's topology needs a leader it lacks.
func (s *State) lead(c UpdateSettings) {
	switch {
	case c.Leader != nil && *c.Leader != s.leader:
		reason := "chosen by an operator"
		if c.Reason != "" {
			reason += ": " + c.Reason
		}
		s.emit(&hivev1.SwarmLeaderChanged{SwarmId: s.id, LeaderId: *c.Leader, PreviousLeaderId: s.leader, Reason: reason, AtUnixNano: nanos(c.At)})
	case s.leader == "" && s.topology.led() && len(s.members) > 0:
		s.emit(&hivev1.SwarmLeaderChanged{SwarmId: s.id, LeaderId: s.members[0].id,
			Reason: fmt.Sprintf("first member of a swarm that became %s", s.topology), AtUnixNano: nanos(c.At)})
	}
}

func (s *State) applySettingsChanged(m *hivev1.SwarmSettingsChanged) {
	s.topology, s.weights = Topology(m.GetTopology()), weightsFromProto(m.GetWeights()).resolved()
	s.minSize, s.maxSize = int(m.GetMinSize()), int(m.GetMaxSize())
}
