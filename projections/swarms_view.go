package projections

import "slices"

// row is the swarm as the swarms view shows it.
func (s *Swarms) row(sw *swarmState) SwarmRow {
	r := SwarmRow{ID: sw.ID, Name: sw.Name, Status: sw.status(), Topology: sw.Topology, LeaderID: sw.Leader, MinSize: sw.MinSize, MaxSize: sw.MaxSize,
		Members: make([]SwarmMember, 0, len(sw.Members)), QueueDepth: sw.Pending, Running: sw.Running,
		OpenProposals: make([]SwarmProposal, 0, len(sw.Proposals)), Usage: sw.Usage, Budget: budgetStatus(sw.Budget, sw.Usage, sw.Exhausted),
		CreatedAt: sw.CreatedAt, DissolvedAt: sw.DissolvedAt, Position: sw.Position}
	for _, ms := range sw.Members {
		r.Members = append(r.Members, SwarmMember{AgentID: ms.AgentID, Name: s.names[ms.AgentID], Status: ms.status(), Role: sw.role(ms.AgentID)})
	}
	for _, p := range sw.Proposals {
		c := *p
		c.Options, c.Votes = slices.Clone(p.Options), slices.Clone(p.Votes)
		r.OpenProposals = append(r.OpenProposals, c)
	}
	return r
}

// status is the swarm's status, as its entity tells it.
func (sw *swarmState) status() string {
	switch {
	case !sw.DissolvedAt.IsZero():
		return "dissolved"
	case sw.Exhausted:
		return "budget_exhausted"
	case len(sw.Members) < int(sw.MinSize):
		return "forming"
	}
	return "active"
}

func (ms *memberState) status() string {
	switch {
	case ms.Lost:
		return "lost"
	case ms.Draining:
		return "draining"
	}
	return "active"
}

// role is the member's place in the swarm's topology.
func (sw *swarmState) role(agentID string) string {
	leader := agentID == sw.Leader
	switch {
	case sw.Topology == "star" && leader:
		return "hub"
	case sw.Topology == "star":
		return "spoke"
	case sw.Topology == "hierarchical" && leader:
		return "coordinator"
	case sw.Topology == "hierarchical":
		return "worker"
	}
	return "member"
}

// Get returns the swarm with id, and whether there is one.
func (s *Swarms) Get(id string) (SwarmRow, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	sw := s.byID[id]
	if sw == nil {
		return SwarmRow{}, false
	}
	return s.row(sw), true
}

// Page returns up to limit swarms in creation order, from the from-th on,
// and where to look next (0 when there is nothing more).
func (s *Swarms) Page(from, limit int) ([]SwarmRow, int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := []SwarmRow{}
	for i := from; i < len(s.order); i++ {
		if len(out) == limit {
			return out, i
		}
		out = append(out, s.row(s.byID[s.order[i]]))
	}
	return out, 0
}

// All returns every swarm, in creation order.
func (s *Swarms) All() []SwarmRow {
	rows, _ := s.Page(0, int(^uint(0)>>1))
	return rows
}

// Count returns how many swarms there are.
func (s *Swarms) Count() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.order)
}

// Totals returns what every swarm's completed tasks consumed, and how many
// swarms stopped for their budget.
func (s *Swarms) Totals() (usage UsageTotals, exhausted int) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, sw := range s.byID {
		usage = usage.plus(sw.Usage)
		if sw.Exhausted {
			exhausted++
		}
	}
	return usage, exhausted
}

// Changed implements Live: the swarms changed since the last call, as GET
// /v1/views/swarms/{id} shows them, on TopicSwarms.
func (s *Swarms) Changed(dst []Change) ([]Change, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.touched.reset()
	var err error
	for _, id := range s.touched.ids {
		if dst, err = appendChange(dst, TopicSwarms, s.checkpoint, id, s.row(s.byID[id])); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// swarmsState is the saved state of Swarms.
type swarmsState struct {
	Checkpoint uint64            `json:"checkpoint"`
	Swarms     []*swarmState     `json:"swarms"` // in creation order
	Names      map[string]string `json:"names"`
	Tasks      taskTable         `json:"tasks"`
}

// MarshalState implements Persistent.
func (s *Swarms) MarshalState() ([]byte, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	st := swarmsState{Checkpoint: s.checkpoint, Swarms: make([]*swarmState, 0, len(s.order)), Names: s.names, Tasks: s.tasks}
	for _, id := range s.order {
		st.Swarms = append(st.Swarms, s.byID[id])
	}
	return encodeState(s.Name(), st)
}

// UnmarshalState implements Persistent.
func (s *Swarms) UnmarshalState(data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	fresh := NewSwarms()
	s.checkpoint, s.byID, s.order, s.names, s.tasks = 0, fresh.byID, nil, fresh.names, fresh.tasks
	s.touched.reset()
	var st swarmsState
	if err := decodeState(s.Name(), data, &st); err != nil {
		return err
	}
	for _, sw := range st.Swarms {
		if sw == nil || s.byID[sw.ID] != nil {
			continue
		}
		sw.memberByID = make(map[string]*memberState, len(sw.Members))
		sw.Members = slices.DeleteFunc(sw.Members, func(ms *memberState) bool { return ms == nil })
		for _, ms := range sw.Members {
			sw.memberByID[ms.AgentID] = ms
		}
		sw.Proposals = slices.DeleteFunc(sw.Proposals, func(p *SwarmProposal) bool { return p == nil })
		s.byID[sw.ID] = sw
		s.order = append(s.order, sw.ID)
	}
	if st.Names != nil {
		s.names = st.Names
	}
	if st.Tasks != nil {
		s.tasks = st.Tasks
	}
	s.checkpoint = st.Checkpoint
	return nil
}
