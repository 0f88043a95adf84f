package main

import (
	"net/http"
	"testing"
	"time"
)

// TestARunOverBudgetHoldsItsQueuedSteps: once a run's spending reaches its
// budget, the steps it already dispatched and the swarm still queues are
// not assigned, though a member is free; raising the budget lets them go.
func TestARunOverBudgetHoldsItsQueuedSteps(t *testing.T) {
	s := startInProcess(t, time.Minute)
	sw := createSwarm(t, s, map[string]any{"name": "thrifty", "topology": "mesh"})
	worker := registerAgent(t, s, "worker", "code")
	s.must(t, http.MethodPost, "/v1/swarms/"+sw+"/members", map[string]any{"agent_id": worker}, nil)
	var run struct {
		ID string `json:"id"`
	}
	steps := []map[string]any{{"id": "a", "capability": "code"}, {"id": "b", "capability": "code"}, {"id": "c", "capability": "code"}}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "r", "swarm_id": sw, "steps": steps, "budget": map[string]any{"tokens": 100}}, &run)

	first := tasksInFlight(t, s, worker, 1)[0]
	s.must(t, http.MethodPost, "/v1/tasks/"+first.ID+"/complete", map[string]any{"agent_id": worker, "usage": map[string]any{"input_tokens": 150}}, nil)
	s.waitStatus(t, run.ID, "budget_exhausted")
	waitIdle(t, s, worker, 1)
	var swarm struct {
		Counts struct {
			Queued   int `json:"queued"`
			Assigned int `json:"assigned"`
		} `json:"task_counts"`
	}
	s.must(t, http.MethodGet, "/v1/swarms/"+sw, nil, &swarm)
	if swarm.Counts.Queued != 2 || swarm.Counts.Assigned != 0 {
		t.Fatalf("swarm tasks %+v over the run's budget, want 2 queued, none assigned", swarm.Counts)
	}

	s.must(t, http.MethodPost, "/v1/workflows/"+run.ID+"/budget", map[string]any{"tokens": 1000}, nil)
	prev := first.ID
	for range 2 { // b and c, in either order
		next := nextTask(t, s, worker, prev)
		s.must(t, http.MethodPost, "/v1/tasks/"+next.ID+"/complete", map[string]any{"agent_id": worker, "usage": map[string]any{"input_tokens": 10}}, nil)
		prev = next.ID
	}
	s.waitStatus(t, run.ID, "completed")
}
