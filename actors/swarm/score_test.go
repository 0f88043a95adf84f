package swarm_test

import (
	"math"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

func TestScore(t *testing.T) {
	fresh := swarm.MemberView{AgentID: "a", Capabilities: []string{"code"}, MaxConcurrency: 4}
	tests := []struct {
		name string
		w    swarm.Weights
		m    swarm.MemberView
		task swarm.TaskView
		mean time.Duration
		want swarm.Candidate
	}{
		{
			name: "a new idle specialist",
			m:    fresh, task: swarm.TaskView{Capability: "code"},
			want: swarm.Candidate{AgentID: "a", Score: 0.75, Capability: 1, Load: 1, Success: 0.5, Speed: 0.5},
		},
		{
			name: "half loaded, three capabilities",
			m:    swarm.MemberView{AgentID: "a", Capabilities: []string{"code", "docs", "ops"}, Load: 2, MaxConcurrency: 4}, task: swarm.TaskView{Capability: "code"},
			want: swarm.Candidate{AgentID: "a", Score: (1.0/3 + 0.5 + 0.5 + 0.5) / 4, Capability: 1.0 / 3, Load: 0.5, Success: 0.5, Speed: 0.5},
		},
		{
			name: "a record of 8 completed, 0 failed, three times as fast as the swarm",
			m:    swarm.MemberView{AgentID: "a", Capabilities: []string{"code"}, MaxConcurrency: 4, Completed: 8, MeanDuration: time.Second},
			task: swarm.TaskView{Capability: "code"}, mean: 3 * time.Second,
			want: swarm.Candidate{AgentID: "a", Score: (1 + 1 + 0.9 + 0.75) / 4, Capability: 1, Load: 1, Success: 0.9, Speed: 0.75},
		},
		{
			name: "a record of failures",
			m:    swarm.MemberView{AgentID: "a", Capabilities: []string{"code"}, MaxConcurrency: 4, Failed: 8},
			task: swarm.TaskView{Capability: "code"},
			want: swarm.Candidate{AgentID: "a", Score: (1 + 1 + 0.1 + 0.5) / 4, Capability: 1, Load: 1, Success: 0.1, Speed: 0.5},
		},
		{
			name: "without the capability",
			m:    fresh, task: swarm.TaskView{Capability: "ops"},
			want: swarm.Candidate{AgentID: "a", Score: 0.5, Capability: 0, Load: 1, Success: 0.5, Speed: 0.5},
		},
		{
			name: "only load weighs",
			w:    swarm.Weights{Load: 2},
			m:    swarm.MemberView{AgentID: "a", Capabilities: []string{"code"}, Load: 1, MaxConcurrency: 4}, task: swarm.TaskView{},
			want: swarm.Candidate{AgentID: "a", Score: 0.75, Capability: 1, Load: 0.75, Success: 0.5, Speed: 0.5},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := swarm.Score(tt.w, tt.m, tt.task, tt.mean)
			if got.AgentID != tt.want.AgentID || !near(got.Score, tt.want.Score) || !near(got.Capability, tt.want.Capability) ||
				!near(got.Load, tt.want.Load) || !near(got.Success, tt.want.Success) || !near(got.Speed, tt.want.Speed) {
				t.Fatalf("Score = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

// rivals is a swarm where member 1 has a fine record but is busy and
// member 2 is idle with a poor record.
func rivals(w *hivev1.SwarmWeights) []proto.Message {
	c := created(swarm.Mesh)
	c.Weights = w
	evs := []proto.Message{c, joined(1, 4, "code"), joined(2, 4, "code")}
	evs = append(evs, history(1, 1, 6, time.Minute)...)
	for seq := uint64(7); seq <= 8; seq++ {
		evs = append(evs, queued(seq, "code"), assignedTo(seq, 1, 1, t0))
	}
	for seq := uint64(9); seq <= 12; seq++ {
		evs = append(evs, queued(seq, "code"), assignedTo(seq, 2, 1, t0),
			&hivev1.TaskFailed{SwarmId: sid, TaskId: tid(seq), AgentId: ag(2), Attempt: 1, Failure: &hivev1.TaskFailure{Cause: swarm.CauseFailed}})
	}
	return evs
}

func TestWeightsChangeTheWinner(t *testing.T) {
	tests := []struct {
		name    string
		weights *hivev1.SwarmWeights
		want    int
	}{
		{"load weighs most: the idle member", &hivev1.SwarmWeights{Load: 1}, 2},
		{"success weighs most: the busy veteran", &hivev1.SwarmWeights{Success: 1}, 1},
		{"balanced: the veteran's record outweighs its load", &hivev1.SwarmWeights{Capability: 1, Load: 1, Success: 1, Speed: 1}, 1},
		{"load weighs double: the idle member", &hivev1.SwarmWeights{Capability: 1, Load: 4, Success: 1, Speed: 1}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := given(t, rivals(tt.weights)...)
			a := lastAssigned(t, &s, swarm.SubmitTask{Capability: "code", At: at(time.Hour)})
			if a.GetAgentId() != ag(tt.want) {
				t.Fatalf("assigned to %s, want member %d; candidates %v", a.GetAgentId(), tt.want, a.GetCandidates())
			}
		})
	}
}

func TestWhatIfReplaysAnAssignmentWithOtherWeights(t *testing.T) {
	s := given(t, rivals(&hivev1.SwarmWeights{Capability: 1, Load: 1, Success: 1, Speed: 1})...)
	apply(t, &s, queued(13, "code"))
	recorded, ok := s.WhatIf(tid(13), swarm.Weights{})
	if !ok || recorded.AgentID != ag(1) || len(recorded.Candidates) != 2 || recorded.Candidates[0].AgentID != ag(1) {
		t.Fatalf("WhatIf with the swarm's weights = %+v, %v", recorded, ok)
	}
	// The same decision made by the swarm.
	evs := decide(t, &s, swarm.Tick{Now: at(time.Hour)})
	if a := evs[len(evs)-1].(*hivev1.TaskAssigned); a.GetAgentId() != recorded.AgentID || a.GetCandidates()[0].GetScore() != recorded.Candidates[0].Score {
		t.Fatalf("swarm decided %v, WhatIf %+v", a, recorded)
	}
	s = given(t, rivals(&hivev1.SwarmWeights{Capability: 1, Load: 1, Success: 1, Speed: 1})...)
	apply(t, &s, queued(13, "code"))
	if other, ok := s.WhatIf(tid(13), swarm.Weights{Load: 1}); !ok || other.AgentID != ag(2) {
		t.Fatalf("WhatIf with load only = %+v", other)
	}
	if _, ok := s.WhatIf(tid(1), swarm.Weights{}); ok {
		t.Error("WhatIf answered for a finished task")
	}
}

func TestChooseAgreesWithWhatIf(t *testing.T) {
	s := given(t, rivals(&hivev1.SwarmWeights{Capability: 1, Load: 1, Success: 1, Speed: 1})...)
	apply(t, &s, queued(13, "code"))
	for _, w := range []swarm.Weights{{}, {Load: 1}, {Capability: 1}, {Success: 3, Speed: 1}} {
		ch, ok := s.WhatIf(tid(13), w)
		id, ok2 := s.Choose(tid(13), w)
		if !ok || !ok2 || id != ch.AgentID {
			t.Fatalf("weights %+v: Choose = %s, %v; WhatIf = %s, %v", w, id, ok2, ch.AgentID, ok)
		}
	}
	if _, ok := s.Choose(tid(1), swarm.Weights{}); ok {
		t.Error("Choose answered for a finished task")
	}
}
