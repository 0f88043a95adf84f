package projections

import (
	"testing"

	hivev1 "hive/proto/hive/v1"
)

func TestTaskAssignedTellsTheBestCandidates(t *testing.T) {
	cand := func(id string, score float64) *hivev1.TaskAssigned_Candidate {
		return &hivev1.TaskAssigned_Candidate{AgentId: id, Score: score}
	}
	for _, tc := range []struct {
		name         string
		m            *hivev1.TaskAssigned
		summary, why string
	}{
		{"no candidates", &hivev1.TaskAssigned{SwarmId: "s", TaskId: "s.1", Attempt: 1, AgentId: "a", Topology: "mesh", Reason: "the only member"},
			"task s.1 (attempt 1) assigned to agent a (mesh)", "the only member"},
		{"two", &hivev1.TaskAssigned{TaskId: "s.2", Attempt: 2, AgentId: "b", Topology: "star", Reason: "best score",
			Candidates: []*hivev1.TaskAssigned_Candidate{cand("b", 0.875), cand("c", 0.5)}},
			"task s.2 (attempt 2) assigned to agent b (star)", "best score; scores: b 0.88; c 0.50"},
		{"more than told, some omitted", &hivev1.TaskAssigned{TaskId: "s.3", Attempt: 1, AgentId: "a", Topology: "mesh",
			Candidates:        []*hivev1.TaskAssigned_Candidate{cand("a", 1), cand("b", 0.333), cand("c", 0.25), cand("d", 0.1)},
			CandidatesOmitted: 3},
			"task s.3 (attempt 1) assigned to agent a (mesh)", "scores: a 1.00; b 0.33; c 0.25 and 4 more"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := taskAssigned(tc.m)
			if d.summary != tc.summary || d.reason != tc.why {
				t.Fatalf("summary %q, reason %q; want %q, %q", d.summary, d.reason, tc.summary, tc.why)
			}
		})
	}
}
