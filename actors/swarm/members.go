package swarm

import (
	"fmt"
	"slices"
	"time"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// AddMember makes a registered agent a member of the swarm, with the
// capabilities the swarm matches tasks against. An agent that is a member
// already is not added again.
type AddMember struct {
	AgentID      string
	Capabilities []string
	// MaxConcurrency is how many tasks the member runs at once; 0 means 1.
	MaxConcurrency int
	// Record is the agent's results before it joined, which the member's
	// statistics (and so its success and speed scores) start from.
	Record Record
	// AgentVersion is the version of the agent's event that caused the
	// command, 0 if none (see AgentVersion on the other member commands).
	AgentVersion uint64
	At           time.Time
}

// Record is an agent's results over its life, which it carries into every
// swarm it joins.
type Record struct {
	Completed uint64
	// Failed counts failed and timed-out attempts.
	Failed uint64
	// CompletedDuration is the total duration of the completed attempts.
	CompletedDuration time.Duration
}

// RecordFromProto reads a TrackRecord; nil is no record.
func RecordFromProto(p *hivev1.TrackRecord) Record {
	return Record{Completed: p.GetCompleted(), Failed: p.GetFailed(), CompletedDuration: time.Duration(p.GetCompletedDurationNanos())}
}

// proto records r; nil if it is empty.
func (r Record) proto() *hivev1.TrackRecord {
	if r == (Record{}) {
		return nil
	}
	return &hivev1.TrackRecord{Completed: r.Completed, Failed: r.Failed, CompletedDurationNanos: int64(r.CompletedDuration)}
}

// CommandName implements the runtime's command naming.
func (AddMember) CommandName() string { return "AddSwarmMember" }

// Validate checks the command on its own, before it reaches the entity.
func (c AddMember) Validate() error {
	var f decision.Fields
	checkUUID(&f, "agent_id", c.AgentID, true)
	f.Capabilities("capabilities", c.Capabilities)
	if c.MaxConcurrency < 0 || c.MaxConcurrency > MaxConcurrency {
		f.Add("max_concurrency", fmt.Sprintf("must be between 1 and %d (0 means 1)", MaxConcurrency))
	}
	if c.Record.CompletedDuration < 0 {
		f.Add("record.completed_duration", "must not be negative")
	}
	checkAt(&f, "at", c.At)
	return f.Err()
}

// RemoveMember ends an agent's membership; its tasks in flight are
// released (cause "agent_left"). An agent that is not a member is ignored.
type RemoveMember struct {
	AgentID, Reason string
	AgentVersion    uint64
	At              time.Time
}

// CommandName implements the runtime's command naming.
func (RemoveMember) CommandName() string { return "RemoveSwarmMember" }

// MemberLost tells the swarm that a member is lost: it gets no tasks until
// MemberRecovered, and its tasks in flight are released (cause
// "agent_lost").
//
// The member commands are caused by the agent's events, delivered by a
// router that may deliver one again after a crash. AgentVersion is the
// version of that agent event: the swarm records it, and ignores a command
// whose version is not newer than the newest it recorded for the agent, so
// that a join delivered again after the agent left does not bring it back.
type MemberLost struct {
	AgentID      string
	AgentVersion uint64
	At           time.Time
}

// CommandName implements the runtime's command naming.
func (MemberLost) CommandName() string { return "SwarmMemberLost" }

// MemberRecovered tells the swarm that a lost member is back.
type MemberRecovered struct {
	AgentID      string
	AgentVersion uint64
	At           time.Time
}

// CommandName implements the runtime's command naming.
func (MemberRecovered) CommandName() string { return "SwarmMemberRecovered" }

// MemberDraining tells the swarm that a member takes no new tasks; those
// it runs finish. At is optional.
type MemberDraining struct {
	AgentID      string
	AgentVersion uint64
	At           time.Time
}

// CommandName implements the runtime's command naming.
func (MemberDraining) CommandName() string { return "SwarmMemberDraining" }

func (s *State) addMember(c AddMember) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.created(); err != nil {
		return err
	}
	if s.member(c.AgentID) >= 0 || s.followed(c.AgentID, c.AgentVersion) {
		return nil
	}
	if limit := s.memberLimit(); len(s.members) >= limit {
		return fmt.Errorf("%w: %s has %d members, its maximum", ErrSwarmFull, s.id, limit)
	}
	s.emit(&hivev1.SwarmMemberJoined{
		SwarmId: s.id, AgentId: c.AgentID, Capabilities: slices.Clone(c.Capabilities),
		MaxConcurrency: uint32(max(c.MaxConcurrency, 1)), AtUnixNano: nanos(c.At), AgentVersion: c.AgentVersion,
		Record: c.Record.proto(),
	})
	if s.leader == "" && s.topology.led() {
		s.emit(&hivev1.SwarmLeaderChanged{
			SwarmId: s.id, LeaderId: c.AgentID,
			Reason: fmt.Sprintf("first member of a %s swarm", s.topology), AtUnixNano: nanos(c.At),
		})
	}
	s.assign(c.At)
	return nil
}

// memberLimit is how many members the swarm admits: its MaxSize, or
// MaxMembers if it has none.
func (s *State) memberLimit() int {
	if s.maxSize > 0 {
		return s.maxSize
	}
	return MaxMembers
}

func (s *State) removeMember(c RemoveMember) error {
	var f decision.Fields
	checkUUID(&f, "agent_id", c.AgentID, true)
	checkReason(&f, c.Reason)
	checkAt(&f, "at", c.At)
	if err := f.Err(); err != nil {
		return err
	}
	if err := s.created(); err != nil {
		return err
	}
	i := s.member(c.AgentID)
	if i < 0 || s.followed(c.AgentID, c.AgentVersion) {
		return nil
	}
	var next string
	if s.leader == c.AgentID && len(s.members) > 1 {
		next = s.members[(i+1)%len(s.members)].id
	}
	s.emit(&hivev1.SwarmMemberLeft{SwarmId: s.id, AgentId: c.AgentID, Reason: c.Reason, AtUnixNano: nanos(c.At), AgentVersion: c.AgentVersion})
	if s.leader == c.AgentID {
		s.emit(&hivev1.SwarmLeaderChanged{
			SwarmId: s.id, LeaderId: next, PreviousLeaderId: c.AgentID,
			Reason: "the leader left; the next member in join order leads", AtUnixNano: nanos(c.At),
		})
	}
	reason := "agent left the swarm"
	if c.Reason != "" {
		reason += ": " + c.Reason
	}
	s.release(c.AgentID, CauseAgentLeft, reason, c.At)
	s.assign(c.At)
	return nil
}

func (s *State) memberLost(c MemberLost) error {
	i, err := s.knownMember(c.AgentID, c.At, true)
	if i < 0 || err != nil || s.mem(i).lost || s.followed(c.AgentID, c.AgentVersion) {
		return err
	}
	s.emit(&hivev1.SwarmMemberLost{SwarmId: s.id, AgentId: c.AgentID, AtUnixNano: nanos(c.At), AgentVersion: c.AgentVersion})
	s.release(c.AgentID, CauseAgentLost, "agent lost", c.At)
	s.assign(c.At)
	return nil
}

func (s *State) memberRecovered(c MemberRecovered) error {
	i, err := s.knownMember(c.AgentID, c.At, true)
	if i < 0 || err != nil || !s.mem(i).lost || s.followed(c.AgentID, c.AgentVersion) {
		return err
	}
	s.emit(&hivev1.SwarmMemberRecovered{SwarmId: s.id, AgentId: c.AgentID, AtUnixNano: nanos(c.At), AgentVersion: c.AgentVersion})
	s.assign(c.At)
	return nil
}

func (s *State) memberDraining(c MemberDraining) error {
	i, err := s.knownMember(c.AgentID, c.At, false)
	if i < 0 || err != nil || s.mem(i).draining || s.followed(c.AgentID, c.AgentVersion) {
		return err
	}
	s.emit(&hivev1.SwarmMemberDraining{SwarmId: s.id, AgentId: c.AgentID, AtUnixNano: nanos(c.At), AgentVersion: c.AgentVersion})
	return nil
}

// knownMember validates a command about a member and returns the member's
// index, -1 if the agent is not a member.
func (s *State) knownMember(agentID string, at time.Time, needAt bool) (int, error) {
	var f decision.Fields
	checkUUID(&f, "agent_id", agentID, true)
	if needAt {
		checkAt(&f, "at", at)
	}
	if err := f.Err(); err != nil {
		return -1, err
	}
	if err := s.created(); err != nil {
		return -1, err
	}
	return s.member(agentID), nil
}

// release ends the assignments of a member that is lost or left.
func (s *State) release(agentID, cause, reason string, at time.Time) {
	for _, seq := range s.taskSeqs(func(t *task) bool { return t.status == TaskStatusAssigned && t.agent == agentID }) {
		s.endAssignment(seq, cause, reason, true, at)
	}
}

// applyMember applies the events about members; it reports false for an
// event it does not know.
func (s *State) applyMember(msg any) bool {
	if m, ok := msg.(interface {
		GetAgentId() string
		GetAgentVersion() uint64
	}); ok && m.GetAgentVersion() > 0 {
		s.agentVersions.set(m.GetAgentId(), m.GetAgentVersion())
	}
	switch m := msg.(type) {
	case *hivev1.SwarmMemberJoined:
		r := RecordFromProto(m.GetRecord())
		s.insertMember(&member{
			id: m.GetAgentId(), caps: m.GetCapabilities(), maxConcurrency: int(m.GetMaxConcurrency()),
			joinedAt: unixNano(m.GetAtUnixNano()), completed: r.Completed, failed: r.Failed, totalDuration: r.CompletedDuration,
		})
	case *hivev1.SwarmMemberLeft:
		if i := s.member(m.GetAgentId()); i >= 0 {
			if s.cursor == m.GetAgentId() {
				s.cursor = s.members[(i+len(s.members)-1)%len(s.members)].id
			}
			s.deleteMember(i)
			if s.cursor == m.GetAgentId() {
				s.cursor = ""
			}
		}
	case *hivev1.SwarmMemberLost:
		s.setMember(m.GetAgentId(), func(mb *member) { mb.lost = true })
	case *hivev1.SwarmMemberRecovered:
		s.setMember(m.GetAgentId(), func(mb *member) { mb.lost = false })
	case *hivev1.SwarmMemberDraining:
		s.setMember(m.GetAgentId(), func(mb *member) { mb.draining = true })
	case *hivev1.SwarmLeaderChanged:
		s.leader = m.GetLeaderId()
	default:
		return false
	}
	return true
}

// setMember changes the member agentID with f, if it is a member.
func (s *State) setMember(agentID string, f func(*member)) {
	if i := s.member(agentID); i >= 0 {
		m := s.mutMember(i)
		before := m.slots()
		f(m)
		s.free += m.slots() - before
	}
}

// followed reports whether the swarm recorded the agent's event of version
// v, or a newer one; 0 is a command not caused by an agent event.
func (s *State) followed(agentID string, v uint64) bool {
	seen, _ := s.agentVersions.get(agentID)
	return v != 0 && v <= seen
}
