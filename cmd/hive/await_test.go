package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hive/http/client"
)

func TestOutcomeStatus(t *testing.T) {
	for _, tc := range []struct {
		ended  bool
		status string
		want   int
	}{
		{true, "completed", 0},
		{true, "failed", exitFailed},
		{true, "cancelled", exitCancelled},
		{true, "budget_exhausted", exitBudgetExhausted},
		{false, "running", exitNotEnded},
		{false, "paused", exitNotEnded},
		{false, "queued", exitNotEnded},
		{false, "completed", exitNotEnded}, // Hive said it has not ended
		{true, "something new", 1},
	} {
		if got := outcomeStatus(tc.ended, tc.status); got != tc.want {
			t.Errorf("outcomeStatus(%v, %q) = %d, want %d", tc.ended, tc.status, got, tc.want)
		}
	}
}

// reporter reports on every task the agent is given, until the test ends:
// completed with usage tokens, or failed for good.
func reporter(t *testing.T, c *client.Client, agentID string, fail bool, tokens int64) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { stop(); wg.Wait() }) // before the server stops
	wg.Add(1)
	go func() {
		defer wg.Done()
		var after uint64
		for ctx.Err() == nil {
			w, err := c.Assignments(ctx, agentID, 5*time.Second, after)
			if err != nil {
				continue // the test ends, or a retry will do
			}
			after = w.Cursor
			for _, a := range w.Assignments {
				if fail {
					_ = c.Fail(ctx, a.TaskID, client.Failure{AgentID: agentID, Reason: "cannot"})
					continue
				}
				_ = c.Complete(ctx, a.TaskID, client.Result{AgentID: agentID, Output: json.RawMessage(`{"ok":true}`),
					Usage: client.Usage{Model: "m", InputTokens: tokens}})
			}
		}
	}()
}

// startRun starts a run of steps (JSON) on the swarm and returns its id and
// the position of its start.
func startRun(t *testing.T, s *sim, swarmID, steps string) (string, uint64) {
	t.Helper()
	var run struct {
		ID       string `json:"id"`
		Position uint64 `json:"position"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "awaited", "swarm_id": swarmID, "steps": json.RawMessage(steps)}, &run)
	return run.ID, run.Position
}

// TestGetWorkflowWaits: GET /v1/workflows/{id}?wait= answers the state as
// it is, Hive-Ended false, when the wait passes; at once, Hive-Ended true,
// when the run ends meanwhile or has ended; refuses a wait it cannot take,
// and keeps min_position's guarantee.
func TestGetWorkflowWaits(t *testing.T) {
	s := startInProcess(t, time.Minute)
	c := newAPIClient(t, s)
	swarmID, _ := member(t, s, c, "run-waiter", "code")
	id, pos := startRun(t, s, swarmID, `[{"id": "build", "capability": "code"}]`)

	for _, wait := range []string{"soon", "-1s", "61s", "1h"} {
		s.problem(t, http.MethodGet, "/v1/workflows/"+id+"?wait="+wait, nil, http.StatusUnprocessableEntity, "wait")
	}
	s.problem(t, http.MethodGet, "/v1/workflows/"+client.AgentID("no run")+"?wait=30s", nil, http.StatusNotFound, "")

	start := time.Now()
	status, h, body := s.do(t, http.MethodGet, fmt.Sprintf("/v1/workflows/%s?wait=300ms&min_position=%d", id, pos), "", nil)
	if status != http.StatusOK || h.Get("Hive-Ended") != "false" || body["status"] != "running" || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("a wait that passes: %d, Hive-Ended %q, status %v after %v; want 200, false, running after 300ms",
			status, h.Get("Hive-Ended"), body["status"], time.Since(start))
	}
	status, h, _ = s.do(t, http.MethodGet, "/v1/workflows/"+id+"?wait=30s&min_position=999999999", "", nil)
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Fatalf("a wait at a position not reached: %d, Retry-After %q; want 503 with Retry-After, as any read", status, h.Get("Retry-After"))
	}

	ended := make(chan client.Run, 1)
	go func() {
		r, err := c.AwaitRun(t.Context(), id, client.Await{MinPosition: pos})
		if err != nil {
			t.Errorf("await the run: %v", err)
		}
		ended <- r
	}()
	completeStep(t, s, id, "build")
	select {
	case r := <-ended:
		if !r.Ended || r.Status != "completed" || r.StepsCompleted != 1 {
			t.Fatalf("awaited run: ended %v, status %s, %d steps completed; want the completed run", r.Ended, r.Status, r.StepsCompleted)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting read did not answer when the run completed")
	}

	start = time.Now()
	status, h, body = s.do(t, http.MethodGet, "/v1/workflows/"+id+"?wait=30s", "", nil)
	if status != http.StatusOK || h.Get("Hive-Ended") != "true" || body["status"] != "completed" || time.Since(start) > 5*time.Second {
		t.Fatalf("a wait for an ended run: %d, Hive-Ended %q, status %v after %v; want it at once", status, h.Get("Hive-Ended"), body["status"], time.Since(start))
	}
}

// TestGetTaskWaits is TestGetWorkflowWaits for a task submitted directly.
func TestGetTaskWaits(t *testing.T) {
	s := startInProcess(t, time.Minute)
	c := newAPIClient(t, s)
	swarmID, agentID := member(t, s, c, "task-waiter", "code")
	sub, err := c.SubmitTask(t.Context(), swarmID, client.NewTask{Capability: "code", Input: json.RawMessage(`{"q": 1}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, wait := range []string{"soon", "-1s", "61s"} {
		s.problem(t, http.MethodGet, "/v1/tasks/"+sub.TaskID+"?wait="+wait, nil, http.StatusUnprocessableEntity, "wait")
	}
	s.problem(t, http.MethodGet, "/v1/tasks/"+swarmID+".999?wait=30s", nil, http.StatusNotFound, "")

	start := time.Now()
	status, h, body := s.do(t, http.MethodGet, fmt.Sprintf("/v1/tasks/%s?wait=300ms&min_position=%d", sub.TaskID, sub.Position), "", nil)
	if status != http.StatusOK || h.Get("Hive-Ended") != "false" || body["status"] != "assigned" || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("a wait that passes: %d, Hive-Ended %q, status %v after %v; want 200, false, assigned after 300ms",
			status, h.Get("Hive-Ended"), body["status"], time.Since(start))
	}

	ended := make(chan client.Task, 1)
	go func() {
		task, err := c.AwaitTask(t.Context(), sub.TaskID, client.Await{Timeout: 20 * time.Second, MinPosition: sub.Position})
		if err != nil {
			t.Errorf("await the task: %v", err)
		}
		ended <- task
	}()
	tasksInFlight(t, s, agentID, 1) // meanwhile the wait is held
	if err := c.Complete(t.Context(), sub.TaskID, client.Result{AgentID: agentID, Output: json.RawMessage(`{"answer":42}`)}); err != nil {
		t.Fatal(err)
	}
	select {
	case task := <-ended:
		if !task.Ended || task.Status != "completed" || string(task.Output) != `{"answer":42}` {
			t.Fatalf("awaited task: ended %v, status %s, output %s; want the completed task", task.Ended, task.Status, task.Output)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting read did not answer when the task completed")
	}
}

// TestShutdownEndsWaitsForRunsAndTasks: a server that begins to stop
// answers the reads waiting for a run or a task at once, with the state as
// it is and Hive-Ended false, and stops well within its
// --shutdown-timeout.
func TestShutdownEndsWaitsForRunsAndTasks(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	o := serveOptions{addr: addr, dataDir: dir, shutdownTimeout: time.Minute, heartbeatTimeout: time.Minute}
	go func() { served <- serve(ctx, o, slog.New(slog.DiscardHandler)) }()
	s := serving(t, "http://"+addr, dir, served)
	swarmID := createSwarm(t, s, map[string]any{"name": "idle", "topology": "mesh"})
	runID, _ := startRun(t, s, swarmID, `[{"id": "design", "capability": "nobody-has"}]`)
	var sub struct {
		TaskID string `json:"task_id"`
	}
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/tasks", map[string]any{"capability": "nobody-has"}, &sub)

	run := s.holdOpen(t, "/v1/workflows/"+runID+"?wait=60s")
	task := s.holdOpen(t, "/v1/tasks/"+sub.TaskID+"?wait=60s")
	// The server accepts connections in the order they came: it has the
	// two waits once a later connection is answered.
	if r := <-s.holdOpen(t, "/healthz"); r.status != http.StatusOK {
		t.Fatalf("healthz: %d %v", r.status, r.err)
	}
	stop() // what SIGTERM does
	deadline := time.After(shutdownPatience)
	for what, held := range map[string]<-chan heldResponse{"run": run, "task": task} {
		r, _ := receive(t, held, deadline, "answer to the wait for the "+what)
		if r.status != http.StatusOK || r.header.Get("Hive-Ended") != "false" {
			t.Fatalf("wait for the %s at shutdown: %d %v, Hive-Ended %q; want 200 and false", what, r.status, r.err, r.header.Get("Hive-Ended"))
		}
		receive(t, held, deadline, "end of the answer to the wait for the "+what)
	}
	if err, _ := receive(t, served, deadline, "return of serve"); err != nil {
		t.Errorf("serve: %v", err)
	}
}

// TestCLIWaitsAndExitsWithTheOutcome runs hive workflows start, hive swarms
// submit, hive workflows get and hive tasks get with --wait, and checks
// the exit status each outcome gets.
func TestCLIWaitsAndExitsWithTheOutcome(t *testing.T) {
	s := startInProcess(t, time.Minute)
	c := newAPIClient(t, s)
	doers, doer := member(t, s, c, "doer", "code")
	reporter(t, c, doer, false, 900)
	failers, failer := member(t, s, c, "failer", "flaky")
	reporter(t, c, failer, true, 0)
	cli := &cli{t: t, server: *s.url.Load(), token: s.token}
	two := filepath.Join(t.TempDir(), "two.json")
	writeFile(t, two, `[{"id": "a", "capability": "code"}, {"id": "b", "capability": "code", "depends_on": ["a"]}]`)
	cancelled, _ := startRun(t, s, doers, `[{"id": "gate", "capability": "code", "approval": true}]`)
	s.must(t, http.MethodPost, "/v1/workflows/"+cancelled+"/cancel", map[string]any{"reason": "not today"}, nil)

	for _, tc := range []struct {
		name string
		args []string
		code int
		show string
	}{
		{"a run completes", []string{"workflows", "start", "--swarm", doers, "--file", two, "--wait"}, 0, "completed"},
		{"a run's budget is spent", []string{"workflows", "start", "--swarm", doers, "--file", two, "--budget-tokens", "100", "--wait"},
			exitBudgetExhausted, "budget_exhausted"},
		{"a run was cancelled", []string{"workflows", "get", cancelled, "--wait"}, exitCancelled, "cancelled"},
		{"a task completes", []string{"swarms", "submit", doers, "--capability", "code", "--wait"}, 0, "completed"},
		{"a task fails", []string{"swarms", "submit", failers, "--capability", "flaky", "--max-attempts", "1", "--wait"}, exitFailed, "failed"},
		{"a task does not end in time", []string{"swarms", "submit", doers, "--capability", "nobody-has", "--wait", "--wait-timeout", "300ms"},
			exitNotEnded, "queued"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := cli.try(tc.args...)
			var exit *exitError
			switch {
			case tc.code == 0 && err != nil:
				t.Fatalf("hive %s: %v, want success", strings.Join(tc.args, " "), err)
			case tc.code != 0 && (!errors.As(err, &exit) || exit.code != tc.code):
				t.Fatalf("hive %s: %v, want exit status %d", strings.Join(tc.args, " "), err, tc.code)
			}
			contains(t, "the output", out, tc.show)
		})
	}
	// The failed task, read again: -o json shows the server's JSON, and the
	// exit status is the same.
	out, err := cli.try("tasks", "get", failers+".1", "--wait", "-o", "json")
	var exit *exitError
	var task struct{ Status string }
	if !errors.As(err, &exit) || exit.code != exitFailed || json.Unmarshal([]byte(out), &task) != nil || task.Status != "failed" {
		t.Errorf("hive tasks get --wait -o json on the failed task: %v, %s", err, out)
	}
}
