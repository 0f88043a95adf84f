package projections

import "time"

// Changed implements Live: the agents changed since the last call, as GET
// /v1/agents/{id} shows them, on TopicAgents.
func (a *Agents) Changed(dst []Change) ([]Change, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	defer a.touched.reset()
	var err error
	for _, id := range a.touched.ids {
		if ag := a.byID[id]; ag != nil {
			if dst, err = appendChange(dst, TopicAgents, a.checkpoint, id, ag); err != nil {
				return dst, err
			}
		}
	}
	return dst, nil
}

// agentRecord is an agent as saved, with what the row does not show.
type agentRecord struct {
	Agent
	Draining      bool          `json:"draining"`
	TotalDuration time.Duration `json:"total_duration"`
}

// agentsState is the saved state of Agents.
type agentsState struct {
	Checkpoint uint64        `json:"checkpoint"`
	Agents     []agentRecord `json:"agents"` // in registration order
}

// MarshalState implements Persistent.
func (a *Agents) MarshalState() ([]byte, error) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	st := agentsState{Checkpoint: a.checkpoint, Agents: make([]agentRecord, 0, len(a.order))}
	for _, id := range a.order {
		ag := a.byID[id]
		st.Agents = append(st.Agents, agentRecord{Agent: *ag, Draining: ag.draining, TotalDuration: ag.totalDuration})
	}
	return encodeState(a.Name(), st)
}

// UnmarshalState implements Persistent.
func (a *Agents) UnmarshalState(data []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checkpoint, a.byID, a.order = 0, map[string]*Agent{}, nil
	a.touched.reset()
	var st agentsState
	if err := decodeState(a.Name(), data, &st); err != nil {
		return err
	}
	for _, r := range st.Agents {
		ag := r.Agent
		ag.draining, ag.totalDuration = r.Draining, r.TotalDuration
		ag.Capabilities, ag.Labels = nonNil(ag.Capabilities), nonNilMap(ag.Labels)
		a.byID[ag.ID] = &ag
		a.order = append(a.order, ag.ID)
	}
	a.checkpoint = st.Checkpoint
	return nil
}

// All returns every agent, in registration order.
func (a *Agents) All() []Agent {
	a.mu.RLock()
	defer a.mu.RUnlock()
	out := make([]Agent, 0, len(a.order))
	for _, id := range a.order {
		out = append(out, a.byID[id].clone())
	}
	return out
}

// Counts returns how many agents there are, in all and by status, and the
// position the read model reflects.
func (a *Agents) Counts() (total int, byStatus map[string]int, position uint64) {
	a.mu.RLock()
	defer a.mu.RUnlock()
	byStatus = map[string]int{}
	for _, ag := range a.byID {
		byStatus[ag.Status]++
	}
	return len(a.byID), byStatus, a.checkpoint
}
