package main

import (
	"net/http"
	"testing"
	"time"
)

// TestATrackRecordFollowsTheAgent: an agent that completed two tasks and
// failed one in swarm A, then left it for swarm B, is scored in B on that
// record, not as a newcomer.
func TestATrackRecordFollowsTheAgent(t *testing.T) {
	s := startInProcess(t, time.Minute)
	a := createSwarm(t, s, map[string]any{"name": "a", "topology": "mesh"})
	b := createSwarm(t, s, map[string]any{"name": "b", "topology": "mesh"})
	ag := registerAgent(t, s, "veteran", "code")
	s.must(t, http.MethodPost, "/v1/swarms/"+a+"/members", map[string]any{"agent_id": ag}, nil)
	for i := range 3 {
		s.must(t, http.MethodPost, "/v1/swarms/"+a+"/tasks", map[string]any{"capability": "code"}, nil)
		task := tasksInFlight(t, s, ag, 1)[0].ID
		if i == 2 {
			s.must(t, http.MethodPost, "/v1/tasks/"+task+"/fail", map[string]any{"agent_id": ag, "reason": "broken"}, nil)
		} else {
			s.must(t, http.MethodPost, "/v1/tasks/"+task+"/complete", map[string]any{"agent_id": ag}, nil)
		}
		waitIdle(t, s, ag, i+1)
	}
	s.must(t, http.MethodDelete, "/v1/swarms/"+a+"/members/"+ag, nil, nil)
	s.must(t, http.MethodPost, "/v1/swarms/"+b+"/members", map[string]any{"agent_id": ag}, nil)

	type stats struct {
		Completed   uint64  `json:"completed"`
		Failed      uint64  `json:"failed"`
		SuccessRate float64 `json:"success_rate"`
	}
	var sw struct {
		Members []struct {
			AgentID string `json:"agent_id"`
			Stats   stats  `json:"stats"`
		} `json:"members"`
	}
	for deadline := time.Now().Add(5 * time.Second); len(sw.Members) == 0 && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		s.must(t, http.MethodGet, "/v1/swarms/"+b, nil, &sw)
	}
	if len(sw.Members) != 1 || sw.Members[0].AgentID != ag {
		t.Fatalf("swarm b's members = %+v", sw.Members)
	}
	if got, want := sw.Members[0].Stats, (stats{Completed: 2, Failed: 1, SuccessRate: 3.0 / 5}); got != want {
		t.Fatalf("the agent's stats in swarm b = %+v, want its record %+v", got, want)
	}
}

// waitIdle waits until the agent has finished n tasks and runs none.
func waitIdle(t *testing.T, s *sim, agentID string, n int) {
	t.Helper()
	var ag struct {
		Completed int    `json:"tasks_completed"`
		Failed    int    `json:"tasks_failed"`
		Status    string `json:"status"`
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s.must(t, http.MethodGet, "/v1/agents/"+agentID, nil, &ag)
		if ag.Completed+ag.Failed == n && ag.Status == "idle" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent %+v, want %d tasks finished and idle", ag, n)
		}
	}
}
