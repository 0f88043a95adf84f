package projections

import (
	"cmp"
	"maps"
	"slices"
)

var _ Persistent = (*Assignments)(nil)

// queuedRecord is a queued task as saved.
type queuedRecord struct {
	TaskID     string `json:"task_id"`
	SwarmID    string `json:"swarm_id"`
	RunID      string `json:"run_id,omitempty"`
	StepID     string `json:"step_id,omitempty"`
	Key        string `json:"key,omitempty"`
	Capability string `json:"capability,omitempty"`
	Input      []byte `json:"input,omitempty"`
}

// assignmentRecord is an assignment as saved: its input as bytes, so that
// saving neither fails on nor rewrites whatever the submitter sent.
type assignmentRecord struct {
	Assignment
	Input []byte `json:"input,omitempty"`
}

// workRecord is an agent's work as saved.
type workRecord struct {
	AgentID  string             `json:"agent_id"`
	InFlight []assignmentRecord `json:"in_flight"` // by position
	Revoked  []Revocation       `json:"revoked"`
	Changed  uint64             `json:"changed"`
}

// assignmentsState is the saved state of Assignments.
type assignmentsState struct {
	Checkpoint uint64         `json:"checkpoint"`
	Tasks      []queuedRecord `json:"tasks"`  // by task id
	Agents     []workRecord   `json:"agents"` // by agent id
}

// MarshalState implements Persistent.
func (a *Assignments) MarshalState() ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	st := assignmentsState{Checkpoint: a.checkpoint, Tasks: []queuedRecord{}, Agents: []workRecord{}}
	for _, id := range slices.Sorted(maps.Keys(a.tasks)) {
		q := a.tasks[id]
		st.Tasks = append(st.Tasks, queuedRecord{TaskID: id, SwarmID: q.swarmID, RunID: q.runID, StepID: q.stepID, Key: q.key,
			Capability: q.capability, Input: q.input})
	}
	for _, id := range slices.Sorted(maps.Keys(a.agents)) {
		w := a.agents[id]
		r := workRecord{AgentID: id, InFlight: []assignmentRecord{}, Revoked: w.revoked, Changed: w.changed}
		for _, as := range w.inFlight {
			r.InFlight = append(r.InFlight, assignmentRecord{Assignment: *as, Input: as.Input})
		}
		slices.SortFunc(r.InFlight, func(x, y assignmentRecord) int { return cmp.Compare(x.Position, y.Position) })
		st.Agents = append(st.Agents, r)
	}
	return encodeState(a.Name(), st)
}

// UnmarshalState implements Persistent. Watchers stay as they are: they
// wait for changes, which the events after the restored state bring.
func (a *Assignments) UnmarshalState(data []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.checkpoint, a.tasks, a.agents = 0, map[string]*queuedTask{}, map[string]*agentWork{}
	var st assignmentsState
	if err := decodeState(a.Name(), data, &st); err != nil {
		return err
	}
	for _, q := range st.Tasks {
		a.tasks[q.TaskID] = &queuedTask{swarmID: q.SwarmID, runID: q.RunID, stepID: q.StepID, key: q.Key, capability: q.Capability, input: q.Input}
	}
	for _, r := range st.Agents {
		w := &agentWork{inFlight: map[string]*Assignment{}, revoked: r.Revoked, changed: r.Changed}
		for _, r := range r.InFlight {
			as := r.Assignment
			as.Input = r.Input
			w.inFlight[as.TaskID] = &as
		}
		a.agents[r.AgentID] = w
	}
	a.checkpoint = st.Checkpoint
	return nil
}

// AgentWork is one agent's assignments, as All lists them.
type AgentWork struct {
	AgentID string `json:"agent_id"`
	Work
}

// All returns every agent's assignments in flight, as Since(agent, 0)
// answers them, by agent id.
func (a *Assignments) All() []AgentWork {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]AgentWork, 0, len(a.agents))
	for _, id := range slices.Sorted(maps.Keys(a.agents)) {
		out = append(out, AgentWork{AgentID: id, Work: a.since(id, 0)})
	}
	return out
}
