package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// sim drives Hive over HTTP like a fleet of agents and an operator would:
// each agent heartbeats, finds its tasks and completes them; the operator
// approves gates. It survives the server being killed and restarted under
// it (the server's URL changes on restart).
type sim struct {
	url    atomic.Pointer[string]
	client *http.Client
	// token is sent with every request; set before the sim is shared.
	token string
	rng   *rand.Rand
}

func (s *sim) call(method, path string, body any, out any) (int, error) {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, *s.url.Load()+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	s.authorize(req)
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode %s: %w", method, path, raw, err)
		}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, nil
}

// getAuthorized sends an authenticated GET.
func (s *sim) getAuthorized(path string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, *s.url.Load()+path, nil)
	if err != nil {
		return nil, err
	}
	s.authorize(req)
	return s.client.Do(req)
}

// must retries a call until it succeeds (the server may be down) or the
// test's patience ends.
func (s *sim) must(t *testing.T, method, path string, body, out any) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, err := s.call(method, path, body, out)
		if err == nil {
			return
		}
		if code >= 400 && code < 500 {
			t.Fatalf("%v", err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s never succeeded: %v", method, path, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type taskView struct {
	ID     string          `json:"id"`
	StepID string          `json:"step_id"`
	Status string          `json:"status"`
	Agent  string          `json:"agent_id"`
	Input  json.RawMessage `json:"input"`
}

// work is one simulated agent: until ctx ends it heartbeats, and completes
// each task assigned to it after a little simulated work. The planner step
// adds steps.
func (s *sim) work(ctx context.Context, agentID string, added []map[string]any) {
	for ctx.Err() == nil {
		_, _ = s.call(http.MethodPost, "/v1/agents/"+agentID+"/heartbeat", nil, nil)
		var tasks struct {
			Tasks []taskView `json:"tasks"`
		}
		if _, err := s.call(http.MethodGet, "/v1/agents/"+agentID+"/tasks", nil, &tasks); err == nil {
			for _, task := range tasks.Tasks {
				if task.Status != "assigned" || task.Agent != agentID {
					continue
				}
				time.Sleep(time.Duration(20+rand.IntN(60)) * time.Millisecond)
				body := map[string]any{"agent_id": agentID, "output": map[string]any{"done": task.StepID},
					"usage": map[string]any{"model": "sim", "input_tokens": 10, "output_tokens": 5, "cost_micros": 3}}
				if task.StepID == "plan" {
					body["add_steps"] = added
				}
				_, _ = s.call(http.MethodPost, "/v1/tasks/"+task.ID+"/complete", body, nil)
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// operate approves every step of the run that awaits approval, until ctx ends.
func (s *sim) operate(ctx context.Context, runID string) {
	for ctx.Err() == nil {
		var run struct {
			Steps []struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			} `json:"steps"`
		}
		if _, err := s.call(http.MethodGet, "/v1/workflows/"+runID, nil, &run); err == nil {
			for _, st := range run.Steps {
				if st.Status == "awaiting_approval" {
					_, _ = s.call(http.MethodPost, "/v1/workflows/"+runID+"/steps/"+st.ID+"/approve", map[string]any{"by": "operator", "comment": "looks good"}, nil)
				}
			}
		}
		select {
		case <-ctx.Done():
		case <-time.After(30 * time.Millisecond):
		}
	}
}

type runID string

// waitProgress waits until at least n of the run's steps are completed.
func (s *sim) waitProgress(t *testing.T, id runID, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for done, _ := s.progress(id); done < n; done, _ = s.progress(id) {
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d steps completed after 30s", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// progress returns how many of the run's steps are completed, and a
// description for the test's log.
func (s *sim) progress(id runID) (int, string) {
	var run struct {
		Status string `json:"status"`
		Steps  []struct {
			Status string `json:"status"`
		} `json:"steps"`
	}
	if _, err := s.call(http.MethodGet, "/v1/workflows/"+string(id), nil, &run); err != nil {
		return 0, err.Error()
	}
	done := 0
	for _, st := range run.Steps {
		if st.Status == "completed" {
			done++
		}
	}
	return done, fmt.Sprintf("run %s, %d of %d steps completed", run.Status, done, len(run.Steps))
}

func step(id, capability string, deps ...string) map[string]any {
	return map[string]any{"id": id, "capability": capability, "depends_on": deps, "input": map[string]any{"step": id},
		"retry": map[string]any{"max_attempts": 5, "backoff": "10ms"}, "timeout": "5s"}
}

// twentySteps is a run of 15 steps whose planner step adds 5 more: plan,
// a1-a6 after it, an approval gate after those, b1-b6 after the gate and a
// final step; the planner adds p1-p5 after plan.
func twentySteps() (initial, added []map[string]any) {
	initial = append(initial, step("plan", "plan"))
	var as, bs []string
	for i := 1; i <= 6; i++ {
		as = append(as, fmt.Sprint("a", i))
		initial = append(initial, step(fmt.Sprint("a", i), "code", "plan"))
	}
	gate := step("review", "review", as...)
	gate["approval"] = true
	initial = append(initial, gate)
	for i := 1; i <= 6; i++ {
		bs = append(bs, fmt.Sprint("b", i))
		initial = append(initial, step(fmt.Sprint("b", i), "code", "review"))
	}
	initial = append(initial, step("final", "review", bs...))
	initial[0]["planner"] = true
	for i := 1; i <= 5; i++ {
		added = append(added, step(fmt.Sprint("p", i), "code", "plan"))
	}
	return initial, added
}

// TestWorkflowSurvivesKills runs a 20-step workflow (a planner step that
// adds steps, an approval gate) on a swarm of 5 agents simulated over HTTP,
// kills the server with SIGKILL twice at random moments and restarts it on
// the same store and data dir, and checks that the run completes with
// every step completed exactly once; on each store.
func TestWorkflowSurvivesKills(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hive and kills it; skipped with -short")
	}
	bin := buildHive(t)
	forEachStore(t, func(t *testing.T, st testStore) {
		dataDir := t.TempDir()
		rng := killRand(t)

		srv := startServer(t, bin, dataDir, "start", st.flags()...)
		waitReady(t, srv)
		s := &sim{client: newClient(), token: srv.token}
		s.url.Store(&srv.url)
		swarmID, run := startTwentySteps(t, s)

		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		for _, id := range run.agents {
			wg.Go(func() { s.work(ctx, id, run.added) })
		}
		wg.Go(func() { s.operate(ctx, run.id) })
		defer func() { cancel(); wg.Wait() }()

		// Kill once some of the first half of the steps are done, and again in
		// the second half, each a random few milliseconds after the mark.
		marks := []int{1 + rng.IntN(8), 10 + rng.IntN(8)}
		for round, mark := range marks {
			s.waitProgress(t, runID(run.id), mark)
			time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
			_, desc := s.progress(runID(run.id))
			t.Logf("kill %d: %s", round+1, desc)
			srv.kill(t)
			srv = startServer(t, bin, dataDir, fmt.Sprint("restart-", round+1), st.flags()...)
			waitReady(t, srv)
			s.url.Store(&srv.url)
		}
		s.waitStatus(t, run.id, "completed")
		cancel()
		wg.Wait()
		stopServer(t, srv)
		checkStepsDoneOnce(t, st.open(t, dataDir), run.id, swarmID, 20)
	})
}

// twentyStepRun is a run of twentySteps and the simulated agents of its
// swarm.
type twentyStepRun struct {
	id     string
	agents []string
	added  []map[string]any // the steps its planner step adds
}

// startTwentySteps creates a swarm of 5 agents simulated over HTTP by s
// and starts a run of twentySteps on it. It returns the swarm's id and
// the run.
func startTwentySteps(t *testing.T, s *sim) (swarmID string, run twentyStepRun) {
	t.Helper()
	swarmID = createSwarm(t, s, map[string]any{"name": "crew", "topology": "mesh"})
	capabilities := [][]string{{"plan", "code"}, {"code"}, {"code", "review"}, {"review"}, {"code", "review"}}
	for i, caps := range capabilities {
		var ag struct {
			ID string `json:"id"`
		}
		s.must(t, http.MethodPost, "/v1/agents", map[string]any{"name": fmt.Sprint("sim-", i), "capabilities": caps, "max_concurrency": 2}, &ag)
		s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/members", map[string]any{"agent_id": ag.ID}, nil)
		run.agents = append(run.agents, ag.ID)
	}
	initial, added := twentySteps()
	var created struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "twenty", "swarm_id": swarmID, "steps": initial}, &created)
	run.id, run.added = created.ID, added
	return swarmID, run
}

// checkStepsDoneOnce reads the stopped server's store and checks that the
// run recorded exactly one completion of each of its want steps, that the
// swarm queued each step's task once and never assigned one attempt twice,
// and that both streams' hash chains verify.
func checkStepsDoneOnce(t *testing.T, store events.Store, runID, swarmID string, want int) {
	t.Helper()
	queued, assigned := map[string]int{}, map[string]int{}
	swarmEvents := readStream(context.Background(), t, store, "swarm-"+swarmID)
	for _, env := range swarmEvents {
		msg, err := events.Decode(&env)
		if err != nil {
			t.Fatal(err)
		}
		switch m := msg.(type) {
		case *hivev1.TaskQueued:
			queued[m.GetKey()]++
		case *hivev1.TaskAssigned:
			assigned[fmt.Sprint(m.GetKey(), " attempt ", m.GetAttempt())]++
		}
	}
	for key, n := range queued {
		if n != 1 {
			t.Errorf("task %s queued %d times", key, n)
		}
	}
	for attempt, n := range assigned {
		if n != 1 {
			t.Errorf("task %s assigned %d times", attempt, n)
		}
	}
	runEvents := readStream(context.Background(), t, store, "workflow-"+runID)
	for _, stream := range [][]events.Envelope{swarmEvents, runEvents} {
		if err := events.VerifyChain(stream); err != nil {
			t.Errorf("hash chain: %v", err)
		}
	}
	completions := map[string]int{}
	for _, env := range runEvents {
		if env.Type != "hive.v1.StepCompleted" {
			continue
		}
		msg, err := events.Decode(&env)
		if err != nil {
			t.Fatal(err)
		}
		completions[msg.(*hivev1.StepCompleted).GetStepId()]++
	}
	if len(completions) != want {
		t.Errorf("%d steps completed, want %d: %v", len(completions), want, completions)
	}
	for id, n := range completions {
		if n != 1 {
			t.Errorf("step %s completed %d times", id, n)
		}
	}
}
