package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// TestHeldTaskTimesOutAndIsRetried: a task without a timeout of its own,
// held by a live agent that never reports, fails after the server's
// --task-timeout with the reason recorded, and its retry goes to another
// member, which completes the run.
func TestHeldTaskTimesOutAndIsRetried(t *testing.T) {
	const timeout = 300 * time.Millisecond
	s := startInProcessWith(t, settings{dataDir: t.TempDir(), heartbeatTimeout: time.Minute, taskTimeout: timeout},
		slog.New(slog.DiscardHandler))
	swarmID := createSwarm(t, s, map[string]any{"name": "patient", "topology": "mesh"})
	holder := registerAgent(t, s, "holder", "text")
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/members", map[string]any{"agent_id": holder}, nil)
	held := map[string]any{"id": "only", "capability": "text", "input": map[string]any{"step": "only"},
		"retry": map[string]any{"max_attempts": 2}}
	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "held", "swarm_id": swarmID, "steps": []any{held}}, &run)
	if got := s.assignee(t, run.ID, ""); got != holder {
		t.Fatalf("step assigned to %s, want the holder %s", got, holder)
	}
	doer := registerAgent(t, s, "doer", "text")
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/members", map[string]any{"agent_id": doer}, nil)
	if got := s.assignee(t, run.ID, holder); got != doer {
		t.Fatalf("retry assigned to %s, want the doer %s", got, doer)
	}

	var failed struct {
		Events []struct {
			RecordedAt time.Time `json:"recorded_at"`
			Payload    struct {
				AgentID string `json:"agentId"`
				Cause   string `json:"cause"`
				Reason  string `json:"reason"`
			} `json:"payload"`
		} `json:"events"`
	}
	s.must(t, http.MethodGet, "/v1/events?type=hive.v1.TaskAttemptFailed", nil, &failed)
	if len(failed.Events) != 1 {
		t.Fatalf("attempts failed: %+v, want one", failed.Events)
	}
	if p := failed.Events[0].Payload; p.AgentID != holder || p.Cause != "timeout" || p.Reason != "no result within 300ms" {
		t.Errorf("attempt failed: %+v, want the holder's, by timeout, saying after how long", p)
	}
	var agent struct {
		Status string `json:"status"`
	}
	s.must(t, http.MethodGet, "/v1/agents/"+holder, nil, &agent)
	if agent.Status == "lost" {
		t.Errorf("holder is %s: the task must time out, not the agent", agent.Status)
	}
	var out json.RawMessage
	s.must(t, http.MethodGet, "/v1/agents/"+doer+"/tasks", nil, &out)
	var tasks struct {
		Tasks []taskView `json:"tasks"`
	}
	if err := json.Unmarshal(out, &tasks); err != nil || len(tasks.Tasks) != 1 {
		t.Fatalf("doer's tasks %s (%v), want the retry", out, err)
	}
	s.must(t, http.MethodPost, "/v1/tasks/"+tasks.Tasks[0].ID+"/complete", map[string]any{"agent_id": doer, "output": "done"}, nil)
	s.waitStatus(t, run.ID, "completed")
}

// TestServeRefusesABadTaskTimeout: --task-timeout must be positive and at
// most the longest timeout a task may have; serve says so before it opens
// anything.
func TestServeRefusesABadTaskTimeout(t *testing.T) {
	for _, value := range []string{"0s", "-1m", "169h"} {
		dir := t.TempDir()
		_, err := runHive(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir, "--task-timeout", value)
		if err == nil || !strings.Contains(err.Error(), "--task-timeout") {
			t.Errorf("--task-timeout %s: %v, want an error naming the flag", value, err)
		}
		if entries, _ := os.ReadDir(dir); len(entries) != 0 {
			t.Errorf("--task-timeout %s: the data dir was written", value)
		}
	}
}
