package main

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	"hive/projections"
)

// submitTo submits a task to a swarm and returns its id.
func submitTo(t *testing.T, s *sim, swarmID string, body map[string]any) string {
	t.Helper()
	var sub struct {
		TaskID string `json:"task_id"`
	}
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/tasks", body, &sub)
	return sub.TaskID
}

// waitTask reads the task until done says it shows what the test waits for.
func waitTask(t *testing.T, s *sim, id, what string, done func(projections.Task) bool) projections.Task {
	t.Helper()
	var task projections.Task
	waitView(t, s, "/v1/tasks/"+id, &task, what, func() bool { return done(task) })
	return task
}

// TestFinishedTasksStayReadable reads tasks that completed after a failed
// attempt, failed for good and were cancelled, before and after a restart:
// each keeps its final state, output, usage, failure and attempts.
func TestFinishedTasksStayReadable(t *testing.T) {
	dataDir := t.TempDir()
	set := settings{dataDir: dataDir, heartbeatTimeout: time.Minute, timerInterval: 10 * time.Millisecond}
	s, stop := launch(t, set, slog.New(slog.DiscardHandler))
	swarmID := createSwarm(t, s, map[string]any{"name": "keepers", "topology": "mesh"})
	a := registerAgent(t, s, "a", "code")
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/members", map[string]any{"agent_id": a}, nil)

	retried := submitTo(t, s, swarmID, map[string]any{"capability": "code", "input": map[string]any{"n": 1}, "max_attempts": 2})
	waitTask(t, s, retried, "the first attempt assigned", func(k projections.Task) bool { return k.Status == "assigned" && k.Attempt == 1 })
	s.must(t, http.MethodPost, "/v1/tasks/"+retried+"/fail", map[string]any{"agent_id": a, "reason": "flaky network"}, nil)
	second := waitTask(t, s, retried, "the second attempt assigned", func(k projections.Task) bool { return k.Status == "assigned" && k.Attempt == 2 })
	if second.AgentID != a || len(second.Attempts) != 2 || second.Attempts[0].Outcome != "failed" || second.Attempts[1].Outcome != "assigned" {
		t.Fatalf("task in its second attempt = %+v", second)
	}
	s.must(t, http.MethodPost, "/v1/tasks/"+retried+"/complete", map[string]any{"agent_id": a, "output": map[string]any{"answer": 42},
		"usage": map[string]any{"model": "m", "input_tokens": 7, "output_tokens": 3, "cost_micros": 50}}, nil)

	doomed := submitTo(t, s, swarmID, map[string]any{"capability": "code", "max_attempts": 3})
	waitTask(t, s, doomed, "assigned", func(k projections.Task) bool { return k.Status == "assigned" })
	s.must(t, http.MethodPost, "/v1/tasks/"+doomed+"/fail", map[string]any{"agent_id": a, "reason": "no such repo", "retryable": false}, nil)

	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "never", "swarm_id": swarmID,
		"steps": []any{map[string]any{"id": "draw", "capability": "design"}}}, &run)
	var detail projections.RunDetail
	waitView(t, s, "/v1/views/runs/"+run.ID, &detail, "the step queued", func() bool { return len(detail.Steps) == 1 && detail.Steps[0].State == projections.StepQueued })
	cancelled := swarmID + ".3"
	// The step becomes the swarm's task through the reactions router, after
	// the run shows it queued: the task is cancelled once it is queued too.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var task projections.Task
		if code, err := s.call(http.MethodGet, "/v1/tasks/"+cancelled, nil, &task); err == nil && task.Status == "queued" {
			break
		} else if code != http.StatusNotFound || time.Now().After(deadline) {
			t.Fatalf("task %s not queued: %v", cancelled, err)
		}
	}
	s.must(t, http.MethodPost, "/v1/workflows/"+run.ID+"/cancel", map[string]any{"by": "op", "reason": "not needed"}, nil)

	checkFinished := func(s *sim) {
		t.Helper()
		done := waitTask(t, s, retried, "completed", func(k projections.Task) bool { return k.Status == "completed" })
		if string(done.Output) != `{"answer":42}` || done.Usage != (projections.Usage{Model: "m", InputTokens: 7, OutputTokens: 3, CostMicros: 50}) ||
			done.SwarmID != swarmID || string(done.Input) != `{"n":1}` || done.Attempt != 2 || done.FinishedAt.IsZero() || len(done.Attempts) != 2 {
			t.Fatalf("completed task = %+v", done)
		}
		first, last := done.Attempts[0], done.Attempts[1]
		if first.Attempt != 1 || first.AgentID != a || first.Outcome != "failed" || first.Reason != "flaky network" || first.EndedAt.Before(first.AssignedAt) ||
			last.Attempt != 2 || last.AgentID != a || last.Outcome != "completed" || last.EndedAt.IsZero() {
			t.Fatalf("attempts = %+v", done.Attempts)
		}
		failed := waitTask(t, s, doomed, "failed", func(k projections.Task) bool { return k.Status == "failed" })
		if failed.Failure == nil || failed.Failure.Reason != "no such repo" || failed.Failure.Cause != "failed" || len(failed.Attempts) != 1 {
			t.Fatalf("failed task = %+v", failed)
		}
		gone := waitTask(t, s, cancelled, "cancelled", func(k projections.Task) bool { return k.Status == "cancelled" })
		if gone.RunID != run.ID || gone.StepID != "draw" || gone.Reason != "not needed" || len(gone.Attempts) != 0 {
			t.Fatalf("cancelled task = %+v", gone)
		}
		s.problem(t, http.MethodGet, "/v1/tasks/"+swarmID+".99", nil, http.StatusNotFound, "")
	}
	checkFinished(s)
	stop()
	s, _ = launch(t, set, slog.New(slog.DiscardHandler))
	checkFinished(s)
}
