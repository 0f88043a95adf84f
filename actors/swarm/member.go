package swarm

import (
	"slices"
	"time"
)

// MemberStatus is a member's availability for new tasks.
type MemberStatus string

// Statuses of a member. Lost outranks draining: a lost member that
// recovers is draining again if it was.
const (
	MemberStatusActive   MemberStatus = "active"
	MemberStatusDraining MemberStatus = "draining"
	MemberStatusLost     MemberStatus = "lost"
)

// member is one agent in the swarm. Its capabilities never change after it
// joined, so drafts share them.
type member struct {
	id   string
	caps []string
	// bits is the set of the member's interned capability ids.
	bits           []uint64
	maxConcurrency int
	lost, draining bool
	load           int
	completed      uint64
	failed         uint64
	totalDuration  time.Duration
	joinedAt       time.Time
	// fitness, rate and mean are the member's capability fit, success
	// rate and mean task duration, kept for scoring (see restat).
	fitness, rate float64
	mean          time.Duration
}

// restat updates what scoring keeps of the member's record.
func (m *member) restat() {
	m.fitness, m.rate, m.mean = fit(len(m.caps)), successRate(m.completed, m.failed), 0
	if m.completed > 0 {
		m.mean = m.totalDuration / time.Duration(m.completed)
	}
}

func (m *member) status() MemberStatus {
	switch {
	case m.lost:
		return MemberStatusLost
	case m.draining:
		return MemberStatusDraining
	}
	return MemberStatusActive
}

// has reports whether the member has the capability interned as id (see
// State.capID).
func (m *member) has(id int) bool {
	switch {
	case id == anyCapability:
		return true
	case id < 0:
		return false
	}
	w := id / 64
	return w < len(m.bits) && m.bits[w]&(1<<(id%64)) != 0
}

// member returns the index of the member agentID, or -1.
func (s *State) member(agentID string) int {
	if i, ok := s.memberAt[agentID]; ok {
		return i
	}
	return -1
}

// capID is the interned id of a task's capability: -1 for "" (every member
// has it), -2 for a capability no member has.
func (s *State) capID(capability string) int {
	if capability == "" {
		return anyCapability
	}
	if id, ok := s.capIDs[capability]; ok {
		return id
	}
	return noCapability
}

// Interned ids of the capability "" and of capabilities no member has.
const (
	anyCapability = -1
	noCapability  = -2
)

// insertMember appends a new member, interning its capabilities.
func (s *State) insertMember(m *member) {
	s.ownMemberSlice()
	s.ownMemberIndex()
	for _, c := range m.caps {
		id, ok := s.capIDs[c]
		if !ok {
			id = len(s.capIDs)
			s.capIDs[c] = id
		}
		for len(m.bits) <= id/64 {
			m.bits = append(m.bits, 0)
		}
		m.bits[id/64] |= 1 << (id % 64)
		for len(s.holders) <= id {
			s.holders = append(s.holders, nil)
		}
		s.holders[id] = append(s.holders[id], int32(len(s.members)))
	}
	m.restat()
	s.memberAt[m.id] = len(s.members)
	s.members = append(s.members, m)
	s.free += m.slots()
	if s.ov != nil {
		s.ov.owned[m] = struct{}{}
	}
}

// deleteMember removes the member at index i, keeping the join order.
func (s *State) deleteMember(i int) {
	s.ownMemberSlice()
	s.ownMemberIndex()
	delete(s.memberAt, s.members[i].id)
	s.free -= s.members[i].slots()
	s.members = slices.Delete(s.members, i, i+1)
	for j := i; j < len(s.members); j++ {
		s.memberAt[s.members[j].id] = j
	}
	s.holders = make([][]int32, len(s.capIDs))
	for j, m := range s.members {
		for _, c := range m.caps {
			id := s.capIDs[c]
			s.holders[id] = append(s.holders[id], int32(j))
		}
	}
}

// slots is how many more tasks the member can take now.
func (m *member) slots() int {
	if m.lost || m.draining {
		return 0
	}
	return max(m.maxConcurrency-m.load, 0)
}
