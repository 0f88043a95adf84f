package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// startInProcess assembles Hive exactly as `hive serve` does, on a fresh
// data dir, serves it from an httptest server and returns a client of it
// with the admin token. Deadlines are looked for every 10 ms.
func startInProcess(t testing.TB, heartbeatTimeout time.Duration) *sim {
	t.Helper()
	return startInProcessWith(t, settings{dataDir: t.TempDir(), heartbeatTimeout: heartbeatTimeout, timerInterval: 10 * time.Millisecond}, slog.New(slog.DiscardHandler))
}

// startInProcessWith assembles Hive with set, logging to logger, and
// returns a client of it with the admin token, once it is ready.
func startInProcessWith(t testing.TB, set settings, logger *slog.Logger) *sim {
	t.Helper()
	s, _ := launch(t, set, logger)
	return s
}

// launch is startInProcessWith, also returning a function that stops the
// server (and is called when the test ends, if not before).
func launch(t testing.TB, set settings, logger *slog.Logger) (*sim, func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	h, err := assemble(ctx, set, logger)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, work := range h.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := work(ctx); err != nil {
				t.Errorf("worker: %v", err)
			}
		}()
	}
	srv := httptest.NewServer(h.handler)
	var once sync.Once
	stop := func() {
		once.Do(func() {
			srv.Close()
			cancel()
			wg.Wait()
			if err := h.close(); err != nil {
				t.Errorf("close: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	s := &sim{client: srv.Client(), token: adminToken(t, set.dataDir)}
	s.url.Store(&srv.URL)
	deadline := time.Now().Add(5 * time.Second)
	for code, _ := s.call(http.MethodGet, "/readyz", nil, nil); code != http.StatusOK; code, _ = s.call(http.MethodGet, "/readyz", nil, nil) {
		if time.Now().After(deadline) {
			t.Fatalf("not ready after 5 s: %d", code)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return s, stop
}

// problem calls the API and checks that it answers status with a problem
// naming field (if field is not empty).
func (s *sim) problem(t *testing.T, method, path string, body any, status int, field string) {
	t.Helper()
	var raw json.RawMessage
	code, _ := s.call(method, path, body, nil)
	if code != status {
		_, err := s.call(method, path, body, &raw)
		t.Fatalf("%s %s = %d (%v), want %d", method, path, code, err, status)
	}
	if field == "" {
		return
	}
	_, err := s.call(method, path, body, nil)
	if err == nil || !strings.Contains(err.Error(), `"field":"`+field+`"`) {
		t.Errorf("%s %s: problem %v does not name field %q", method, path, err, field)
	}
}

func createSwarm(t *testing.T, s *sim, body map[string]any) string {
	t.Helper()
	var sw struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/swarms", body, &sw)
	return sw.ID
}

func registerAgent(t *testing.T, s *sim, name string, capabilities ...string) string {
	t.Helper()
	var ag struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/agents", map[string]any{"name": name, "capabilities": capabilities}, &ag)
	return ag.ID
}

// tasksInFlight waits until the agent has n tasks in flight, as it learns
// of them from reactions to its swarm's decisions, and returns them.
func tasksInFlight(t *testing.T, s *sim, agentID string, n int) []taskView {
	t.Helper()
	var tasks struct {
		Tasks []taskView `json:"tasks"`
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s.must(t, http.MethodGet, "/v1/agents/"+agentID+"/tasks", nil, &tasks)
		if len(tasks.Tasks) >= n || time.Now().After(deadline) {
			return tasks.Tasks
		}
	}
}

func TestSwarmRequestsThatAreRefused(t *testing.T) {
	s := startInProcess(t, time.Minute)
	s.problem(t, http.MethodPost, "/v1/swarms", map[string]any{"name": "x", "topology": "blob"}, http.StatusUnprocessableEntity, "topology")
	s.problem(t, http.MethodPost, "/v1/swarms", map[string]any{"name": "x", "topology": "mesh", "min_size": 5, "max_size": 2}, http.StatusUnprocessableEntity, "max_size")
	id := createSwarm(t, s, map[string]any{"name": "duo", "topology": "ring", "max_size": 1})
	s.problem(t, http.MethodPost, "/v1/swarms", map[string]any{"name": "duo", "topology": "mesh"}, http.StatusConflict, "")
	s.problem(t, http.MethodGet, "/v1/swarms/00000000-0000-0000-0000-000000000000", nil, http.StatusNotFound, "")
	s.problem(t, http.MethodGet, "/v1/swarms/not-a-uuid", nil, http.StatusNotFound, "")

	a, b := registerAgent(t, s, "a", "code"), registerAgent(t, s, "b", "code")
	s.problem(t, http.MethodPost, "/v1/swarms/"+id+"/members", map[string]any{}, http.StatusUnprocessableEntity, "agent_id")
	s.problem(t, http.MethodPost, "/v1/swarms/00000000-0000-0000-0000-000000000000/members", map[string]any{"agent_id": a}, http.StatusNotFound, "")
	s.must(t, http.MethodPost, "/v1/swarms/"+id+"/members", map[string]any{"agent_id": a}, nil)
	s.problem(t, http.MethodPost, "/v1/swarms/"+id+"/members", map[string]any{"agent_id": b}, http.StatusConflict, "")

	other := createSwarm(t, s, map[string]any{"name": "other", "topology": "mesh"})
	s.problem(t, http.MethodPost, "/v1/swarms/"+other+"/members", map[string]any{"agent_id": a}, http.StatusConflict, "")

	s.problem(t, http.MethodPost, "/v1/tasks/not-a-task/complete", map[string]any{"agent_id": a}, http.StatusNotFound, "")
	s.problem(t, http.MethodPost, "/v1/swarms/"+id+"/tasks", map[string]any{"capability": "code", "timeout": "soon"}, http.StatusUnprocessableEntity, "timeout")
}

func TestDirectTaskCompletedByItsAgentOnly(t *testing.T) {
	s := startInProcess(t, time.Minute)
	id := createSwarm(t, s, map[string]any{"name": "solo", "topology": "mesh"})
	a, b := registerAgent(t, s, "a", "code"), registerAgent(t, s, "b", "review")
	for _, ag := range []string{a, b} {
		s.must(t, http.MethodPost, "/v1/swarms/"+id+"/members", map[string]any{"agent_id": ag}, nil)
	}
	s.must(t, http.MethodPost, "/v1/swarms/"+id+"/tasks", map[string]any{"capability": "code", "input": map[string]any{"q": 1}}, nil)
	tasks := tasksInFlight(t, s, a, 1)
	if len(tasks) != 1 || tasks[0].Agent != a || string(tasks[0].Input) != `{"q":1}` {
		t.Fatalf("agent a's tasks = %+v, want the code task", tasks)
	}
	task := tasks[0].ID
	s.problem(t, http.MethodPost, "/v1/tasks/"+task+"/complete", map[string]any{"agent_id": b, "output": 1}, http.StatusConflict, "")
	s.must(t, http.MethodPost, "/v1/tasks/"+task+"/complete", map[string]any{"agent_id": a, "output": map[string]any{"answer": 42},
		"usage": map[string]any{"model": "m", "input_tokens": 7}}, nil)
	s.must(t, http.MethodPost, "/v1/tasks/"+task+"/complete", map[string]any{"agent_id": a, "output": map[string]any{"answer": 42}}, nil) // retried: no-op
	var ag struct {
		Completed int    `json:"tasks_completed"`
		Status    string `json:"status"`
	}
	deadline := time.Now().Add(5 * time.Second)
	for ag.Completed != 1 && time.Now().Before(deadline) {
		s.must(t, http.MethodGet, "/v1/agents/"+a, nil, &ag)
	}
	if ag.Completed != 1 || ag.Status != "idle" {
		t.Fatalf("agent after its task: %+v, want one completed and idle", ag)
	}
}

func TestWorkflowRequestsThatAreRefused(t *testing.T) {
	s := startInProcess(t, time.Minute)
	id := createSwarm(t, s, map[string]any{"name": "w", "topology": "mesh"})
	cyclic := []any{
		map[string]any{"id": "a", "depends_on": []string{"b"}},
		map[string]any{"id": "b", "depends_on": []string{"a"}},
	}
	s.problem(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "c", "swarm_id": id, "steps": cyclic}, http.StatusUnprocessableEntity, "steps[1].depends_on[0]")
	s.problem(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "u", "swarm_id": id, "steps": []any{map[string]any{"id": "a", "depends_on": []string{"zz"}}}},
		http.StatusUnprocessableEntity, "steps[0].depends_on[0]")
	s.problem(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "n", "swarm_id": "00000000-0000-0000-0000-000000000000", "steps": []any{map[string]any{"id": "a"}}},
		http.StatusNotFound, "")
	s.problem(t, http.MethodGet, "/v1/workflows/00000000-0000-0000-0000-000000000000", nil, http.StatusNotFound, "")
	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "g", "swarm_id": id, "steps": []any{map[string]any{"id": "a", "approval": true}}}, &run)
	s.problem(t, http.MethodPost, "/v1/workflows/"+run.ID+"/steps/zz/approve", nil, http.StatusNotFound, "")
	s.must(t, http.MethodPost, "/v1/workflows/"+run.ID+"/cancel", map[string]any{"by": "op", "reason": "changed my mind"}, nil)
	s.problem(t, http.MethodPost, "/v1/workflows/"+run.ID+"/steps/a/approve", nil, http.StatusConflict, "")
	var list struct {
		Workflows []struct {
			ID     string `json:"id"`
			Status string `json:"status"`
		} `json:"workflows"`
	}
	s.must(t, http.MethodGet, "/v1/workflows", nil, &list)
	if len(list.Workflows) != 1 || list.Workflows[0].Status != "cancelled" {
		t.Fatalf("workflows = %+v, want the cancelled run", list.Workflows)
	}
}

func TestConsensusOverHTTP(t *testing.T) {
	s := startInProcess(t, time.Minute)
	id := createSwarm(t, s, map[string]any{"name": "council", "topology": "mesh"})
	var members []string
	for _, name := range []string{"x", "y", "z"} {
		ag := registerAgent(t, s, name, "code")
		s.must(t, http.MethodPost, "/v1/swarms/"+id+"/members", map[string]any{"agent_id": ag}, nil)
		members = append(members, ag)
	}
	s.problem(t, http.MethodPost, "/v1/swarms/"+id+"/proposals", map[string]any{"question": "ship?", "options": []string{"yes"}, "rule": "majority", "voting_period": "1m"},
		http.StatusUnprocessableEntity, "options")
	var proposal struct {
		Proposals []struct {
			ID string `json:"id"`
		} `json:"proposals"`
	}
	s.must(t, http.MethodPost, "/v1/swarms/"+id+"/proposals", map[string]any{"question": "ship?", "options": []string{"yes", "no"}, "rule": "majority", "voting_period": "1m", "proposed_by": "op"}, &proposal)
	if len(proposal.Proposals) != 1 {
		t.Fatalf("open proposals = %+v", proposal.Proposals)
	}
	pid := proposal.Proposals[0].ID
	votes := "/v1/swarms/" + id + "/proposals/" + pid + "/votes"
	s.problem(t, http.MethodPost, votes, map[string]any{"agent_id": members[0], "option": "maybe"}, http.StatusUnprocessableEntity, "option")
	s.must(t, http.MethodPost, votes, map[string]any{"agent_id": members[0], "option": "yes"}, nil)
	s.problem(t, http.MethodPost, votes, map[string]any{"agent_id": members[0], "option": "no"}, http.StatusConflict, "")
	// Two of three for "yes" is a majority no third vote can change: decided.
	s.must(t, http.MethodPost, votes, map[string]any{"agent_id": members[1], "option": "yes"}, nil)
	s.problem(t, http.MethodPost, votes, map[string]any{"agent_id": members[2], "option": "no"}, http.StatusConflict, "")
	var after struct {
		Proposals []any `json:"proposals"`
	}
	s.must(t, http.MethodGet, "/v1/swarms/"+id, nil, &after)
	if len(after.Proposals) != 0 {
		t.Fatalf("proposal still open after every member voted: %+v", after.Proposals)
	}
}

func TestRunStartedFromASavedDefinition(t *testing.T) {
	s := startInProcess(t, time.Minute)
	id := createSwarm(t, s, map[string]any{"name": "d", "topology": "mesh"})
	steps := []any{map[string]any{"id": "a", "capability": "code"}, map[string]any{"id": "b", "depends_on": []string{"a"}}}
	var def struct {
		ID       string `json:"id"`
		Versions []any  `json:"versions"`
	}
	s.must(t, http.MethodPost, "/v1/workflow-definitions", map[string]any{"name": "nightly", "steps": steps}, &def)
	s.must(t, http.MethodPost, "/v1/workflow-definitions", map[string]any{"name": "nightly", "steps": steps}, &def)
	if len(def.Versions) != 1 {
		t.Fatalf("saving the same steps twice made %d versions", len(def.Versions))
	}
	s.problem(t, http.MethodPost, "/v1/workflow-definitions", map[string]any{"name": "bad", "steps": []any{map[string]any{"id": "a", "depends_on": []string{"x"}}}},
		http.StatusUnprocessableEntity, "steps[0].depends_on[0]")
	s.problem(t, http.MethodPost, "/v1/workflows", map[string]any{"swarm_id": id, "definition": "nope"}, http.StatusNotFound, "")
	s.problem(t, http.MethodPost, "/v1/workflows", map[string]any{"swarm_id": id, "definition": "nightly", "steps": steps}, http.StatusUnprocessableEntity, "steps")
	s.problem(t, http.MethodPost, "/v1/workflows", map[string]any{"swarm_id": id, "definition": "nightly", "definition_version": 2}, http.StatusNotFound, "")
	var run struct {
		Name  string `json:"name"`
		Steps []struct {
			ID string `json:"id"`
		} `json:"steps"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"swarm_id": id, "definition": "nightly"}, &run)
	if run.Name != "nightly v1" || len(run.Steps) != 2 {
		t.Fatalf("run from the definition: %+v", run)
	}
	var list struct {
		Definitions []struct {
			Name    string `json:"name"`
			Version int    `json:"version"`
		} `json:"definitions"`
	}
	s.must(t, http.MethodGet, "/v1/workflow-definitions", nil, &list)
	if len(list.Definitions) != 1 || list.Definitions[0].Name != "nightly" || list.Definitions[0].Version != 1 {
		t.Fatalf("definitions = %+v", list.Definitions)
	}
	s.must(t, http.MethodGet, "/v1/workflow-definitions/"+def.ID, nil, &def)
}
