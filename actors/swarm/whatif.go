package swarm

import "slices"

// Choice is the member a swarm would choose for a task, and why.
type Choice struct {
	AgentID string `json:"agent_id"`
	Reason  string `json:"reason"`
	// Candidates are every eligible member's score, best first.
	Candidates []Candidate `json:"candidates"`
}

// WhatIf returns the member the swarm would now choose for its queued task
// taskID under weights w (the zero Weights is DefaultWeights), by the same
// rules as its assignments, but regardless of the swarm's status, budget
// and paused runs. It reports false if the task is not queued or no member
// is eligible. An audit re-runs a recorded assignment with other weights by
// applying the events before its TaskAssigned and asking WhatIf.
func (s *State) WhatIf(taskID string, w Weights) (Choice, bool) {
	swarmID, seq, err := ParseTaskID(taskID)
	t, ok := s.tasks.get(seq)
	if err != nil || swarmID != s.id || !ok || t.status != TaskStatusQueued {
		return Choice{}, false
	}
	var all []ranked
	c := choice{all: &all}
	w = w.resolved()
	if !s.choose(t, s.capID(t.capability), w, &c) {
		return Choice{}, false
	}
	slices.SortFunc(all, func(a, b ranked) int {
		if a.better(b) {
			return -1
		}
		return 1
	})
	ch := Choice{AgentID: s.mem(c.winner).id, Reason: c.reason, Candidates: make([]Candidate, len(all))}
	mean := s.swarmMean()
	for i, r := range all {
		ch.Candidates[i] = Score(w, s.mem(r.i).view(), TaskView{Capability: t.capability}, mean)
	}
	return ch, true
}

// Choose returns the member the swarm would now choose for its queued task
// taskID under weights w, by the same rules as WhatIf, without scoring and
// sorting every candidate: the cheap question a what-if over many recorded
// assignments asks of each, before asking WhatIf about those that differ.
func (s *State) Choose(taskID string, w Weights) (string, bool) {
	swarmID, seq, err := ParseTaskID(taskID)
	t, ok := s.tasks.get(seq)
	if err != nil || swarmID != s.id || !ok || t.status != TaskStatusQueued {
		return "", false
	}
	var c choice
	if !s.choose(t, s.capID(t.capability), w.resolved(), &c) {
		return "", false
	}
	return s.mem(c.winner).id, true
}
