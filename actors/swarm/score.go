package swarm

import (
	"fmt"
	"slices"
	"time"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// Weights weigh the components of a member's score for a task. Each is at
// least 0; the zero Weights means DefaultWeights. A member's score is the
// weighted mean of its components, so only the ratios of weights matter.
type Weights struct {
	Capability float64 `json:"capability"`
	Load       float64 `json:"load"`
	Success    float64 `json:"success"`
	Speed      float64 `json:"speed"`
}

// DefaultWeights weigh every component alike.
var DefaultWeights = Weights{Capability: 1, Load: 1, Success: 1, Speed: 1}

// resolved returns w, or DefaultWeights if w is zero.
func (w Weights) resolved() Weights {
	if w == (Weights{}) {
		return DefaultWeights
	}
	return w
}

// Validate checks the weights, naming fields under prefix (e.g. "weights").
func (w Weights) Validate(f *decision.Fields, prefix string) {
	for _, c := range []struct {
		name string
		v    float64
	}{{"capability", w.Capability}, {"load", w.Load}, {"success", w.Success}, {"speed", w.Speed}} {
		if !(c.v >= 0 && c.v <= MaxWeight) {
			f.Add(prefix+"."+c.name, fmt.Sprintf("must be between 0 and %d", MaxWeight))
		}
	}
}

func (w Weights) proto() *hivev1.SwarmWeights {
	return &hivev1.SwarmWeights{Capability: w.Capability, Load: w.Load, Success: w.Success, Speed: w.Speed}
}

func weightsFromProto(p *hivev1.SwarmWeights) Weights {
	return Weights{Capability: p.GetCapability(), Load: p.GetLoad(), Success: p.GetSuccess(), Speed: p.GetSpeed()}
}

// MemberView is what scoring knows of a member.
type MemberView struct {
	AgentID        string
	Capabilities   []string
	Load           int
	MaxConcurrency int
	Completed      uint64
	Failed         uint64
	// MeanDuration is the mean duration of the tasks it completed; 0 if
	// none.
	MeanDuration time.Duration
}

// TaskView is what scoring knows of a task.
type TaskView struct {
	// Capability is the capability the task needs; "" is any.
	Capability string
}

// Candidate is a member's score for a task and its components, each
// between 0 and 1.
type Candidate struct {
	AgentID    string  `json:"agent_id"`
	Score      float64 `json:"score"`
	Capability float64 `json:"capability"`
	Load       float64 `json:"load"`
	Success    float64 `json:"success"`
	Speed      float64 `json:"speed"`
}

// Score rates member m for task t under weights w (the zero Weights is
// DefaultWeights); swarmMean is the mean duration of the swarm's completed
// tasks, 0 if none. A member without the task's capability scores 0 on
// capability; it is not eligible for the task anyway. See the package
// documentation for the components.
func Score(w Weights, m MemberView, t TaskView, swarmMean time.Duration) Candidate {
	var fitness float64
	if t.Capability == "" || slices.Contains(m.Capabilities, t.Capability) {
		fitness = fit(len(m.Capabilities))
	}
	c := combine(w.resolved(), fitness, m.Load, m.MaxConcurrency, successRate(m.Completed, m.Failed), m.MeanDuration, swarmMean)
	c.AgentID = m.AgentID
	return c
}

// combine computes a candidate's score, without its agent id, from its
// capability fit (see fit), load, success rate (see successRate) and mean
// duration; w is resolved. It is the one formula of Score and of the
// swarm's assignments, which keep each member's fit and success rate.
func combine(w Weights, fitness float64, load, maxConcurrency int, success float64, mean, swarmMean time.Duration) Candidate {
	c := Candidate{Capability: fitness, Success: success, Speed: 0.5}
	if maxConcurrency > 0 {
		c.Load = max(0, 1-float64(load)/float64(maxConcurrency))
	}
	if mean > 0 && swarmMean > 0 {
		c.Speed = float64(swarmMean) / float64(swarmMean+mean)
	}
	total := w.Capability + w.Load + w.Success + w.Speed
	if total > 0 {
		c.Score = (w.Capability*c.Capability + w.Load*c.Load + w.Success*c.Success + w.Speed*c.Speed) / total
	}
	return c
}

// fit is the capability fit of a member with ncaps capabilities.
func fit(ncaps int) float64 { return 1 / float64(max(ncaps, 1)) }

// successRate is the share of a member's tasks that completed, with one
// success and one failure assumed, so that a new member rates 0.5.
func successRate(completed, failed uint64) float64 {
	return float64(completed+1) / float64(completed+failed+2)
}

// view is what scoring knows of m.
func (m *member) view() MemberView {
	return MemberView{
		AgentID: m.id, Capabilities: m.caps, Load: m.load, MaxConcurrency: m.maxConcurrency,
		Completed: m.completed, Failed: m.failed, MeanDuration: m.mean,
	}
}

// swarmMean is the mean duration of the swarm's completed tasks.
func (s *State) swarmMean() time.Duration {
	if s.counts.completed == 0 {
		return 0
	}
	return s.counts.completedDuration / time.Duration(s.counts.completed)
}
