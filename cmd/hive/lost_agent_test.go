package main

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"
)

// TestTaskOfALostAgentIsReassigned: of a swarm's two agents, the one given
// the run's only task goes silent; it is declared lost, its task goes to the
// other agent, and the run completes.
func TestTaskOfALostAgentIsReassigned(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hive; skipped with -short")
	}
	srv := startServer(t, buildHive(t), t.TempDir(), "lost", "--heartbeat-timeout", "600ms")
	waitReady(t, srv)
	s := &sim{client: newClient(), token: srv.token}
	s.url.Store(&srv.url)

	var sw struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/swarms", map[string]any{"name": "pair", "topology": "mesh"}, &sw)
	var ids []string
	for _, name := range []string{"first", "second"} {
		var ag struct {
			ID string `json:"id"`
		}
		s.must(t, http.MethodPost, "/v1/agents", map[string]any{"name": name, "capabilities": []string{"code"}}, &ag)
		s.must(t, http.MethodPost, "/v1/swarms/"+sw.ID+"/members", map[string]any{"agent_id": ag.ID}, nil)
		ids = append(ids, ag.ID)
	}
	only := step("only", "code")
	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "one", "swarm_id": sw.ID, "steps": []any{only}}, &run)

	silent := s.assignee(t, run.ID, "")
	other := ids[0]
	if silent == ids[0] {
		other = ids[1]
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.work(ctx, other, nil) }()
	defer func() { cancel(); wg.Wait() }()

	if got := s.assignee(t, run.ID, silent); got != other {
		t.Fatalf("task reassigned to %s, want the other agent %s", got, other)
	}
	var agentView struct {
		Status string `json:"status"`
	}
	s.must(t, http.MethodGet, "/v1/agents/"+silent, nil, &agentView)
	if agentView.Status != "lost" {
		t.Errorf("silent agent is %q, want lost", agentView.Status)
	}
	s.waitStatus(t, run.ID, "completed")
}

// assignee waits until the run's step "only" is assigned to an agent other
// than not, and returns it.
func (s *sim) assignee(t *testing.T, runID, not string) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var run struct {
			Steps []struct {
				Status string `json:"status"`
				Agent  string `json:"agent_id"`
			} `json:"steps"`
		}
		if _, err := s.call(http.MethodGet, "/v1/workflows/"+runID, nil, &run); err == nil && len(run.Steps) == 1 {
			if a := run.Steps[0].Agent; a != "" && a != not {
				return a
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("run %s: step not assigned to an agent other than %q in 20s", runID, not)
	return ""
}

// waitStatus waits until the run has status want.
func (s *sim) waitStatus(t *testing.T, runID, want string) {
	t.Helper()
	var run struct {
		Status string `json:"status"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for run.Status != want {
		if time.Now().After(deadline) {
			t.Fatalf("run %s is %q after 30s, want %q", runID, run.Status, want)
		}
		time.Sleep(20 * time.Millisecond)
		_, _ = s.call(http.MethodGet, "/v1/workflows/"+runID, nil, &run)
	}
}
