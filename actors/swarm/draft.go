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
	// ownMembers: members is the draft's copy; owned are the members it
	// copied (or added) and may change.
	ownMembers bool
	owned      map[*member]struct{}
	// ownMemberAt, ownQueue: memberAt and capIDs, and queue, are the
	// draft's copies.
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
	d.proposals = s.proposals.draft()
	d.decided = s.decided.draft()
	return &d
}

// emit records a decided event and applies it to the draft, so that the
// rest of the decision sees its effect.
func (s *State) emit(msg proto.Message) {
	s.ov.out = append(s.ov.out, msg)
	s.apply(msg)
}

// mutMember returns the member at index i for changing.
func (s *State) mutMember(i int) *member {
	if s.ov == nil {
		return s.members[i]
	}
	s.ownMemberSlice()
	m := s.members[i]
	if _, ok := s.ov.owned[m]; ok {
		return m
	}
	c := *m
	s.members[i] = &c
	s.ov.owned[&c] = struct{}{}
	return &c
}

// ownMemberSlice makes a draft's members slice its own.
func (s *State) ownMemberSlice() {
	if s.ov == nil || s.ov.ownMembers {
		return
	}
	s.members = slices.Clone(s.members)
	s.ov.ownMembers = true
	s.ov.owned = map[*member]struct{}{}
}

// ownMemberIndex makes a draft's memberAt and capIDs its own.
func (s *State) ownMemberIndex() {
	if s.ov != nil && !s.ov.ownMemberAt {
		s.memberAt, s.capIDs = maps.Clone(s.memberAt), maps.Clone(s.capIDs)
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
