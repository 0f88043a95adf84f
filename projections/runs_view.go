package projections

import (
	"slices"
)

func (run *runState) detail() RunDetail {
	d := RunDetail{RunRow: run.RunRow, Steps: make([]RunStep, 0, len(run.Steps)), Timeline: slices.Clone(run.Timeline)}
	for _, st := range run.Steps {
		s := st.RunStep
		s.DependsOn = slices.Clone(st.DependsOn)
		d.Steps = append(d.Steps, s)
	}
	return d
}

// Get returns the run with id, with its steps and timeline, and whether
// there is one.
func (r *Runs) Get(id string) (RunDetail, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	run := r.byID[id]
	if run == nil {
		return RunDetail{}, false
	}
	return run.detail(), true
}

// Page returns up to limit runs for which match is true, oldest first,
// looking from the from-th run on, and where to look next (0 when there is
// nothing more).
func (r *Runs) Page(from, limit int, match func(*RunRow) bool) ([]RunRow, int) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := []RunRow{}
	for i := from; i < len(r.order); i++ {
		if run := r.byID[r.order[i]]; match(&run.RunRow) {
			if len(out) == limit {
				return out, i
			}
			out = append(out, run.RunRow)
		}
	}
	return out, 0
}

// All returns every run with its steps and timeline, oldest first.
func (r *Runs) All() []RunDetail {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]RunDetail, 0, len(r.order))
	for _, id := range r.order {
		out = append(out, r.byID[id].detail())
	}
	return out
}

// Counts returns how many runs there are, in all and by status.
func (r *Runs) Counts() (total int, byStatus map[string]int) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	byStatus = map[string]int{}
	for _, run := range r.byID {
		byStatus[run.Status]++
	}
	return len(r.byID), byStatus
}

// Changed implements Live: each run changed since the last call, as a row
// on TopicRuns and as its detail on its own RunTopic.
func (r *Runs) Changed(dst []Change) ([]Change, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer r.touched.reset()
	var err error
	for _, id := range r.touched.ids {
		run := r.byID[id]
		if dst, err = appendChange(dst, TopicRuns, r.checkpoint, id, run.RunRow); err != nil {
			return dst, err
		}
		if dst, err = appendChange(dst, RunTopic(id), r.checkpoint, id, run.detail()); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// runsState is the saved state of Runs.
type runsState struct {
	Checkpoint uint64      `json:"checkpoint"`
	Runs       []*runState `json:"runs"` // in creation order
}

// MarshalState implements Persistent.
func (r *Runs) MarshalState() ([]byte, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	st := runsState{Checkpoint: r.checkpoint, Runs: make([]*runState, 0, len(r.order))}
	for _, id := range r.order {
		st.Runs = append(st.Runs, r.byID[id])
	}
	return encodeState(r.Name(), st)
}

// UnmarshalState implements Persistent.
func (r *Runs) UnmarshalState(data []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.checkpoint, r.byID, r.order = 0, map[string]*runState{}, nil
	r.touched.reset()
	var st runsState
	if err := decodeState(r.Name(), data, &st); err != nil {
		return err
	}
	for _, run := range st.Runs {
		if run == nil || r.byID[run.ID] != nil {
			continue
		}
		run.Steps = slices.DeleteFunc(run.Steps, func(s *stepView) bool { return s == nil })
		run.stepByID = make(map[string]*stepView, len(run.Steps))
		for _, s := range run.Steps {
			s.DependsOn = nonNil(s.DependsOn)
			run.stepByID[s.ID] = s
		}
		if run.Timeline == nil {
			run.Timeline = []RunTimelineEntry{}
		}
		r.byID[run.ID] = run
		r.order = append(r.order, run.ID)
	}
	r.checkpoint = st.Checkpoint
	return nil
}
