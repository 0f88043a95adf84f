package swarm

import (
	"fmt"
	"slices"
	"time"

	hivev1 "hive/proto/hive/v1"
)

// MaxRecordedCandidates bounds the candidates a TaskAssigned records: the
// best by score, and the chosen member if it is not among them.
const MaxRecordedCandidates = 16

// assign assigns queued tasks to eligible members, in queue order, until
// no queued task can be assigned; see the package documentation.
func (s *State) assign(now time.Time) {
	if s.Status() != StatusActive || len(s.queue) == 0 {
		return
	}
	free := s.free
	var none map[int]bool // (capability, planner) pairs without eligible members
	for i := 0; i < len(s.queue) && free > 0; {
		t, _ := s.tasks.get(s.queue[i].seq)
		if (s.paused.len() > 0 && s.paused.has(t.runID)) || (t.runID != "" && s.runHeld(t.runID, now)) {
			i++
			continue
		}
		capID := s.capID(t.capability)
		kind := capID*2 + boolInt(t.planner && s.topology == Hierarchical)
		if none[kind] {
			i++
			continue
		}
		var c choice
		if !s.choose(t, capID, s.weights, &c) {
			if none == nil {
				none = map[int]bool{}
			}
			none[kind] = true
			i++
			continue
		}
		if s.budget.Exhausted(s.spent) {
			s.exhaust(now)
			return
		}
		s.emit(s.assigned(t, &c, now))
		free--
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// choice is the outcome of choosing a member for a task.
type choice struct {
	winner int
	reason string
	// top are the best eligible members, best first (ntop of them).
	top  [MaxRecordedCandidates]ranked
	ntop int
	// eligible counts the eligible members scored.
	eligible int
	// full, incapable, unavailable, role and excluded count the
	// ineligible members by reason.
	full, incapable, unavailable, role, excluded int
	// skip are the members passed over (the task's exclusions), unless
	// waived: no other member was eligible.
	skip   *task
	waived bool
	// all collects every eligible member, if not nil.
	all *[]ranked
}

// skips reports whether the choice passes over member agentID.
func (c *choice) skips(agentID string) bool {
	return c.skip != nil && c.skip.excludes(agentID)
}

// ranked is an eligible member's score and index.
type ranked struct {
	score float64
	i     int
}

// better reports whether a ranks before b: higher score, then earlier
// joined.
func (a ranked) better(b ranked) bool {
	return a.score > b.score || (a.score == b.score && a.i < b.i)
}

// consider records an eligible member's score.
func (c *choice) consider(r ranked) {
	c.eligible++
	if c.all != nil {
		*c.all = append(*c.all, r)
	}
	if c.ntop == len(c.top) && !r.better(c.top[c.ntop-1]) {
		return
	}
	j := min(c.ntop, len(c.top)-1)
	for j > 0 && r.better(c.top[j-1]) {
		c.top[j] = c.top[j-1]
		j--
	}
	c.top[j] = r
	c.ntop = min(c.ntop+1, len(c.top))
}

// choose chooses the member for task t (capability interned as capID)
// under weights w, filling c; it reports false if no member is eligible.
// The members the task's earlier attempts failed on are passed over while
// another member is eligible; if none is, they are considered after all
// (the exclusion is waived).
func (s *State) choose(t *task, capID int, w Weights, c *choice) bool {
	if len(t.excluded) > 0 {
		c.skip = t
	}
	ok := s.rank(t, capID, w, c)
	if !ok && c.skip != nil {
		all := c.all
		if all != nil {
			*all = (*all)[:0]
		}
		*c = choice{all: all, waived: true}
		ok = s.rank(t, capID, w, c)
	}
	if ok {
		s.pick(t, capID, c)
	}
	return ok
}

// rank scores the members eligible for t into c, and counts the others by
// why they are not, in this order: role, capability, availability, load.
// It reports false if none is eligible. Only the holders of the task's
// capability are looked at.
func (s *State) rank(t *task, capID int, w Weights, c *choice) bool {
	// Hierarchical: a planning task may go to the coordinator only (only),
	// other tasks to anyone but the coordinator (not).
	only, not := -1, -1
	if s.topology == Hierarchical {
		leader := s.member(s.leader)
		switch {
		case t.planner && leader < 0:
			c.role = len(s.members)
			return false
		case t.planner:
			only = leader
		default:
			not = leader
		}
	}
	r := ranker{w: w, mean: s.swarmMean(), capID: capID, not: not}
	switch {
	case only >= 0:
		c.role = len(s.members) - 1
		r.rank(s, only, c)
	case capID == anyCapability:
		for i := range s.members {
			r.rank(s, i, c)
		}
	default:
		var holders []int32
		if capID >= 0 {
			holders = s.holders[capID]
		}
		r.holders = true
		for _, i := range holders {
			r.rank(s, int(i), c)
		}
		c.incapable += len(s.members) - len(holders)
		if not >= 0 && !s.mem(not).has(capID) {
			c.incapable, c.role = c.incapable-1, c.role+1
		}
	}
	return c.eligible > 0
}

// ranker ranks members for one task.
type ranker struct {
	w     Weights
	mean  time.Duration
	capID int
	not   int
	// holders: the members ranked hold the capability.
	holders bool
}

// rank scores member i into c if it is eligible, or counts why not.
func (r *ranker) rank(s *State, i int, c *choice) {
	m := s.mem(i)
	switch {
	case i == r.not:
		c.role++
	case !r.holders && !m.has(r.capID):
		c.incapable++
	case m.lost || m.draining:
		c.unavailable++
	case m.load >= m.maxConcurrency:
		c.full++
	case c.skips(m.id):
		c.excluded++
	default:
		sc := combine(r.w, m.fitness, m.load, m.maxConcurrency, m.rate, m.mean, r.mean)
		c.consider(ranked{score: sc.Score, i: i})
	}
}

// pick chooses among the ranked members by the swarm's topology.
func (s *State) pick(t *task, capID int, c *choice) {
	c.winner, c.reason = c.top[0].i, fmt.Sprintf("%s: highest score of %d eligible members", s.topology, c.eligible)
	switch s.topology {
	case Ring:
		c.winner, c.reason = s.ringNext(capID, c)
	case Star:
		if hub := s.member(s.leader); hub >= 0 && s.eligible(s.mem(hub), capID, c) {
			c.winner, c.reason = hub, "star: the hub takes every task it is eligible for"
		} else {
			c.reason = fmt.Sprintf("star: the hub is not eligible; highest score of %d eligible spokes", c.eligible)
		}
	case Hierarchical:
		if t.planner {
			c.reason = "hierarchical: the coordinator takes the planning tasks"
		} else {
			c.reason = fmt.Sprintf("hierarchical: highest score of %d eligible workers", c.eligible)
		}
	}
	switch {
	case c.waived:
		c.reason += fmt.Sprintf("; no other member was eligible, so the %d member(s) earlier attempts failed on were considered", len(t.excluded))
	case c.skip != nil:
		c.reason += fmt.Sprintf("; passed over the %d member(s) earlier attempts failed on", len(t.excluded))
	}
}

// eligible reports whether member m may take a task needing capability
// capID under choice c, topology roles aside.
func (s *State) eligible(m *member, capID int, c *choice) bool {
	return !m.lost && !m.draining && m.has(capID) && m.load < m.maxConcurrency && !c.skips(m.id)
}

// ringNext is the first eligible member in join order after the member
// that got the previous task.
func (s *State) ringNext(capID int, c *choice) (int, string) {
	start := s.member(s.cursor) + 1
	for k := range s.members {
		i := (start + k) % len(s.members)
		if s.eligible(s.mem(i), capID, c) {
			if s.cursor == "" {
				return i, "ring: first eligible member in join order"
			}
			return i, fmt.Sprintf("ring: next eligible member in join order after %s", s.cursor)
		}
	}
	return -1, ""
}

// assigned is the TaskAssigned of choice c for task t.
func (s *State) assigned(t *task, c *choice, now time.Time) *hivev1.TaskAssigned {
	var deadline time.Time
	if timeout := s.timeoutOf(t); timeout > 0 {
		deadline = now.Add(timeout)
	}
	m := s.mem(c.winner)
	ev := &hivev1.TaskAssigned{
		SwarmId: s.id, TaskId: TaskID(s.id, t.seq), AgentId: m.id, Attempt: int32(t.attempt + 1),
		DeadlineUnixNano: nanos(deadline), RunId: t.runID, StepId: t.stepID, Key: t.key,
		Topology: string(s.topology), Reason: c.reason, Weights: s.weights.proto(),
		CandidatesOmitted: uint32(c.eligible - c.ntop), IneligibleFull: uint32(c.full),
		IneligibleIncapable: uint32(c.incapable), IneligibleUnavailable: uint32(c.unavailable),
		IneligibleRole: uint32(c.role), AtUnixNano: nanos(now),
		ExclusionWaived: c.waived, IneligibleExcluded: uint32(c.excluded), Excluded: exclusionsProto(t.excluded),
	}
	recorded := c.top[:c.ntop]
	if !slices.ContainsFunc(recorded, func(r ranked) bool { return r.i == c.winner }) {
		recorded = append(recorded, ranked{i: c.winner})
		ev.CandidatesOmitted--
	}
	// One allocation for all the candidates.
	cs := make([]hivev1.TaskAssigned_Candidate, len(recorded))
	ev.Candidates = make([]*hivev1.TaskAssigned_Candidate, len(recorded))
	mean := s.swarmMean()
	for k, r := range recorded {
		s.candidate(&cs[k], s.mem(r.i), mean)
		ev.Candidates[k] = &cs[k]
	}
	return ev
}

// candidate records the score of eligible member m in c.
func (s *State) candidate(c *hivev1.TaskAssigned_Candidate, m *member, mean time.Duration) {
	sc := combine(s.weights, m.fitness, m.load, m.maxConcurrency, m.rate, m.mean, mean)
	c.AgentId, c.Score, c.Capability, c.Load = m.id, sc.Score, sc.Capability, sc.Load
	c.Success, c.Speed, c.LoadBefore = sc.Success, sc.Speed, uint32(m.load)
}

// applyAssigned applies a TaskAssigned.
func (s *State) applyAssigned(m *hivev1.TaskAssigned) {
	t := s.mutTask(seqOf(m.GetTaskId()))
	if t == nil {
		return
	}
	if t.status == TaskStatusQueued {
		s.dequeue(t)
	}
	t.status, t.agent, t.attempt = TaskStatusAssigned, m.GetAgentId(), int(m.GetAttempt())
	t.assignedAt, t.deadline, t.retryAt = unixNano(m.GetAtUnixNano()), unixNano(m.GetDeadlineUnixNano()), time.Time{}
	s.setMember(t.agent, func(mb *member) { mb.load++ })
	s.cursor = t.agent
}

// exclusionsProto records a task's exclusions; nil if none.
func exclusionsProto(es []exclusion) []*hivev1.TaskExclusion {
	if len(es) == 0 {
		return nil
	}
	out := make([]*hivev1.TaskExclusion, len(es))
	for i, e := range es {
		out[i] = &hivev1.TaskExclusion{AgentId: e.agent, Cause: e.cause, Attempt: int32(e.attempt)}
	}
	return out
}

// exclusionsFrom is the inverse of exclusionsProto.
func exclusionsFrom(ps []*hivev1.TaskExclusion) []exclusion {
	var out []exclusion
	for _, p := range ps {
		out = append(out, exclusion{agent: p.GetAgentId(), cause: p.GetCause(), attempt: int(p.GetAttempt())})
	}
	return out
}
