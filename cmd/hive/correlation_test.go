package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// TestACorrelationFollowsItsRun: a run started with a correlation id keeps
// it in every event of the run and of its tasks (the swarm's, the agent's),
// though its tasks' results, a failed attempt and an approval arrive as
// commands of other requests; listing the events by that correlation id
// shows them all, and nothing else.
func TestACorrelationFollowsItsRun(t *testing.T) {
	s := startInProcess(t, time.Minute)
	sw := createSwarm(t, s, map[string]any{"name": "rel", "topology": "mesh"})
	worker := registerAgent(t, s, "worker", "code")
	s.must(t, http.MethodPost, "/v1/swarms/"+sw+"/members", map[string]any{"agent_id": worker}, nil)
	steps := []map[string]any{
		{"id": "build", "capability": "code", "retry": map[string]any{"max_attempts": 2}},
		{"id": "ship", "capability": "code", "depends_on": []string{"build"}, "approval": true},
	}
	body, err := json.Marshal(map[string]any{"name": "release", "swarm_id": sw, "steps": steps})
	if err != nil {
		t.Fatal(err)
	}
	status, _, run := s.do(t, http.MethodPost, "/v1/workflows", string(body), map[string]string{"Hive-Correlation-Id": "rel-42"})
	if status != http.StatusCreated {
		t.Fatalf("start: %d %v", status, run)
	}
	runID := run["id"].(string)

	first := tasksInFlight(t, s, worker, 1)[0]
	s.must(t, http.MethodPost, "/v1/tasks/"+first.ID+"/fail", map[string]any{"agent_id": worker, "reason": "flaky", "retryable": true}, nil)
	retry := retried(t, s, worker)
	s.must(t, http.MethodPost, "/v1/tasks/"+retry.ID+"/progress", map[string]any{"agent_id": worker, "message": "halfway", "percent": 50}, nil)
	s.must(t, http.MethodPost, "/v1/tasks/"+retry.ID+"/complete", map[string]any{"agent_id": worker}, nil)
	s.waitStatus(t, runID, "running")
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if code, _ := s.call(http.MethodPost, "/v1/workflows/"+runID+"/steps/ship/approve", map[string]any{"by": "op"}, nil); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the ship step never awaited approval")
		}
	}
	ship := nextTask(t, s, worker, first.ID)
	s.must(t, http.MethodPost, "/v1/tasks/"+ship.ID+"/complete", map[string]any{"agent_id": worker}, nil)
	s.waitStatus(t, runID, "completed")
	waitIdle(t, s, worker, 3)

	all := s.events(t, "")
	tasks := map[string]bool{}
	for _, e := range all {
		if e.Payload.RunID == runID && e.Payload.TaskID != "" {
			tasks[e.Payload.TaskID] = true
		}
	}
	var want []string
	for _, e := range all {
		if e.Stream == "workflow-"+runID || e.Payload.RunID == runID || tasks[e.Payload.TaskID] {
			want = append(want, fmt.Sprintf("#%d %s %s", e.Position, e.Stream, e.Type))
		}
	}
	var got []string
	for _, e := range s.events(t, "rel-42") {
		got = append(got, fmt.Sprintf("#%d %s %s", e.Position, e.Stream, e.Type))
	}
	if len(tasks) != 2 || !slices.Equal(got, want) {
		t.Fatalf("events with correlation rel-42:\n%q\nthe run's and its %d tasks' events:\n%q", got, len(tasks), want)
	}
}

// loggedEvent is an event as GET /v1/events shows it, with the payload
// fields that tie it to a run.
type loggedEvent struct {
	Position      uint64 `json:"position"`
	Stream        string `json:"stream"`
	Type          string `json:"type"`
	CorrelationID string `json:"correlation_id"`
	Payload       struct {
		RunID  string `json:"runId"`
		TaskID string `json:"taskId"`
	} `json:"payload"`
}

// events lists the whole log, or only the events with correlation id
// corr.
func (s *sim) events(t *testing.T, corr string) []loggedEvent {
	t.Helper()
	var page struct {
		Events []loggedEvent `json:"events"`
	}
	path := "/v1/events?limit=1000"
	if corr != "" {
		path += "&correlation_id=" + corr
	}
	s.must(t, http.MethodGet, path, nil, &page)
	return page.Events
}

// nextTask waits until the agent runs a task other than not, and returns
// it.
func nextTask(t *testing.T, s *sim, agentID, not string) taskView {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if ts := tasksInFlight(t, s, agentID, 1); len(ts) == 1 && ts[0].ID != not {
			return ts[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent %s runs no task but %s", agentID, not)
		}
	}
}

// retried waits until the agent's first attempt failed and it runs the
// next one, and returns the task.
func retried(t *testing.T, s *sim, agentID string) taskView {
	t.Helper()
	var ag struct {
		Failed int `json:"tasks_failed"`
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s.must(t, http.MethodGet, "/v1/agents/"+agentID, nil, &ag)
		if ts := tasksInFlight(t, s, agentID, 1); ag.Failed == 1 && len(ts) == 1 {
			return ts[0]
		}
		if time.Now().After(deadline) {
			t.Fatalf("agent %s: no second attempt", agentID)
		}
	}
}
