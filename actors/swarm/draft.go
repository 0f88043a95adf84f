package swarm

import (
	"maps"
	"slices"

	"google.golang.org/protobuf/proto"
)

// overlay is a decision's bookkeeping: the events decided so far, and which
// parts of the state the draft has copied before changing them. A draft
// shares everything else with the state it was drafted from and never
// writes to it, so deciding costs in proportion to what the decision
// changes, not to the size of the swarm.
type overlay struct {
	out []proto.Message
	// changed marks the members the draft changed, whose copies are in
	// mem, while the draft shares the members slice.
	changed []uint64
	mem     map[int]*member
	// ownMembers: members is the draft's copy (members joined or left);
	// owned are the members it copied (or added) and may change.
	ownMembers bool
	owned      map[*member]struct{}
	// ownMemberAt, ownQueue: memberAt, capIDs and holders, and queue,
	// are the draft's copies.
	ownMemberAt, ownQueue bool
}

// draft returns a draft of s: a state that applies the events a decision
// decides (emit) without changing s.
func (s State) draft() *State {
	d := s
	d.ov = &overlay{}
	d.tasks = s.tasks.draft()
	d.keys = s.keys.draft()
	d.finished = s.finished.draft()
	d.paused = s.paused.draft()
	d.runs = s.runs.draft()
	d.agentVersions = s.agentVersions.draft()
	d.proposals = s.proposals.draft()
	d.decided = s.decided.draft()
	return &d
}

// emit records a decided event and applies it to the draft, so that the
// rest of the decision sees its effect.
func (s *State) emit(msg proto.Message) {
	s.ov.out = append(s.ov.out, msg)
	s.at = s.version + uint64(len(s.ov.out)) // the version it will have
	s.apply(msg)
}

// mem returns the member at index i, as the draft changed it.
func (s *State) mem(i int) *member {
	if ov := s.ov; ov != nil && ov.changed != nil && ov.changed[i>>6]&(1<<(i&63)) != 0 {
		return ov.mem[i]
	}
	return s.members[i]
}

// mutMember returns the member at index i for changing. A draft copies the
// member first; until members join or leave it keeps the copies aside
// (mem), so that changing a few members of a large swarm does not copy the
// members slice.
func (s *State) mutMember(i int) *member {
	ov := s.ov
	switch {
	case ov == nil:
		return s.members[i]
	case ov.ownMembers:
		m := s.members[i]
		if _, ok := ov.owned[m]; ok {
			return m
		}
		c := *m
		s.members[i] = &c
		ov.owned[&c] = struct{}{}
		return &c
	}
	if m := s.mem(i); m != s.members[i] {
		return m
	}
	if ov.changed == nil {
		ov.changed, ov.mem = make([]uint64, (len(s.members)+63)/64), map[int]*member{}
	}
	c := *s.members[i]
	ov.changed[i>>6] |= 1 << (i & 63)
	ov.mem[i] = &c
	return &c
}

// ownMemberSlice makes a draft's members slice its own, with the members
// it changed, before members join or leave.
func (s *State) ownMemberSlice() {
	if s.ov == nil || s.ov.ownMembers {
		return
	}
	s.members = slices.Clone(s.members)
	s.ov.ownMembers = true
	s.ov.owned = map[*member]struct{}{}
	for i, m := range s.ov.mem {
		s.members[i] = m
		s.ov.owned[m] = struct{}{}
	}
	s.ov.changed, s.ov.mem = nil, nil
}

// ownMemberIndex makes a draft's memberAt, capIDs and holders its own.
func (s *State) ownMemberIndex() {
	if s.ov != nil && !s.ov.ownMemberAt {
		s.memberAt, s.capIDs = maps.Clone(s.memberAt), maps.Clone(s.capIDs)
		s.holders = slices.Clone(s.holders)
		for i, h := range s.holders {
			s.holders[i] = slices.Clone(h)
		}
		s.ov.ownMemberAt = true
	}
	if s.memberAt == nil {
		s.memberAt = map[string]int{}
	}
	if s.capIDs == nil {
		s.capIDs = map[string]int{}
	}
}

// ownQueueSlice makes a draft's queue its own.
func (s *State) ownQueueSlice() {
	if s.ov == nil || s.ov.ownQueue {
		return
	}
	s.queue = slices.Clone(s.queue)
	s.ov.ownQueue = true
}

// mutTask returns the unfinished task seq for changing, or nil.
func (s *State) mutTask(seq uint64) *task {
	t, ok := s.tasks.get(seq)
	if !ok {
		return nil
	}
	if !s.tasks.owns(seq) {
		c := *t
		t = &c
		s.tasks.set(seq, t)
	}
	return t
}
