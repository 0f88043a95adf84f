package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hive/events/esdbstore/esdbdouble"
	"hive/events/pgstore/pgtest"
)

// TestReadmeWalkthrough runs the README's walk-through (Quickstart; Swarms,
// workflows and tasks; CLI; Audit and replay; Log tools) against a hive
// serve process, on the embedded store, on PostgreSQL and on EventStoreDB
// (its test double) (--store), then
// restarts the server on the same store and data dir and finds everything
// as it was.
func TestReadmeWalkthrough(t *testing.T) {
	stores := []struct {
		name string
		// store returns the flags of hive serve naming the store (none:
		// the embedded one) and the flags the log tools read it with,
		// given the server.
		store func(t *testing.T) []string
	}{
		{name: "embedded"},
		{name: "postgres", store: func(t *testing.T) []string { return []string{"--store", pgtest.Shared(t).URL()} }},
		{name: "eventstoredb", store: func(t *testing.T) []string {
			return []string{"--store", "esdb://admin:" + storeSecret + "@" + esdbdouble.Start(t).Addr() + "?tls=false"}
		}},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			var storeFlags []string
			if st.store != nil {
				storeFlags = st.store(t)
			}
			w := startWalkthrough(t, storeFlags)
			w.quickstart(t)
			run := w.workflow(t)
			w.tools(t, run)
			w.restart(t)
			if got := w.runStatus(t, run.id); got != "completed" {
				t.Errorf("after a restart the run is %s, want completed", got)
			}
			w.tools(t, run)
			w.noPasswordInLog(t)
		})
	}
}

// walkthrough is a hive serve process and what the walk-through needs to
// talk to it.
type walkthrough struct {
	srv        *hiveServer
	s          *sim
	dataDir    string
	addr       string
	storeFlags []string
	// logs are the log files of the servers started, in order.
	logs []string
}

func startWalkthrough(t *testing.T, storeFlags []string) *walkthrough {
	t.Helper()
	t.Setenv(runMainEnv, "1") // the test binary runs hive's main
	w := &walkthrough{dataDir: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t), storeFlags: storeFlags}
	w.start(t)
	return w
}

func (w *walkthrough) start(t *testing.T) {
	t.Helper()
	w.srv = startServerAt(t, os.Args[0], w.dataDir, fmt.Sprintf("walkthrough-%d", len(w.logs)+1), w.addr, w.storeFlags...)
	w.logs = append(w.logs, w.srv.logPath)
	waitReady(t, w.srv)
	w.s = &sim{client: newClient(), token: w.srv.token}
	w.s.url.Store(&w.srv.url)
}

func (w *walkthrough) restart(t *testing.T) {
	t.Helper()
	stopServer(t, w.srv)
	w.start(t)
}

// toolFlags are the flags the log tools read the log with: the store
// directly, or the server's API while it holds the embedded store.
func (w *walkthrough) toolFlags() []string {
	if len(w.storeFlags) > 0 {
		return w.storeFlags
	}
	return []string{"--server", w.srv.url, "--token", w.srv.token}
}

// quickstart is the README's Quickstart: an agent's registration, reads
// and lifecycle.
func (w *walkthrough) quickstart(t *testing.T) {
	t.Helper()
	status, h, body := w.s.do(t, http.MethodPost, "/v1/agents",
		`{"name": "coder-1", "capabilities": ["code", "review"], "labels": {"team": "core"}, "max_concurrency": 2}`, nil)
	id, _ := body["id"].(string)
	if status != http.StatusCreated || h.Get("Location") != "/v1/agents/"+id || h.Get("Hive-Position") == "" {
		t.Fatalf("register: %d, Location %q, Hive-Position %q: %v", status, h.Get("Location"), h.Get("Hive-Position"), body)
	}
	w.expect(t, http.MethodGet, "/v1/agents", "", http.StatusOK, "")
	w.expect(t, http.MethodGet, "/v1/agents/"+id, "", http.StatusOK, "idle")
	w.expect(t, http.MethodPost, "/v1/agents/"+id+"/heartbeat", "", http.StatusOK, "")
	w.expect(t, http.MethodPost, "/v1/agents/"+id+"/drain", `{"reason": "upgrade"}`, http.StatusOK, "draining")
	w.expect(t, http.MethodDelete, "/v1/agents/"+id+"?reason=retired", "", http.StatusOK, "gone")
	w.expect(t, http.MethodPost, "/v1/agents", `{"name": "coder-1"}`, http.StatusCreated, "")
	w.expect(t, http.MethodPost, "/v1/agents", `{"name": "coder-1"}`, http.StatusConflict, "")
	w.expect(t, http.MethodPost, "/v1/agents", `{"capabilities": ["code"]}`, http.StatusUnprocessableEntity, "name")
	if resp, err := w.srv.client.Get(w.srv.url + "/openapi.json"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("GET /openapi.json: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// expect sends a request and checks its status and, if want is not
// empty, that the body's status or a problem's field says want.
func (w *walkthrough) expect(t *testing.T, method, path, body string, status int, want string) {
	t.Helper()
	got, _, out := w.s.do(t, method, path, body, nil)
	if got != status {
		t.Fatalf("%s %s: %d, want %d: %v", method, path, got, status, out)
	}
	if want != "" && out["status"] != want && !strings.Contains(fmt.Sprint(out["errors"]), want) {
		t.Errorf("%s %s answered %v, want it to say %q", method, path, out, want)
	}
}

// walkRun is the run the walk-through starts, and what it is made of.
type walkRun struct {
	id, swarm, planner, coder string
}

// workflow is the README's Swarms, workflows and tasks: a swarm of a
// planner and a coder runs plan, build (failed once, retried) and ship
// (after its approval).
func (w *walkthrough) workflow(t *testing.T) walkRun {
	t.Helper()
	r := walkRun{planner: registerAgent(t, w.s, "planner-1", "plan"), coder: registerAgent(t, w.s, "coder-2", "code")}
	r.swarm = createSwarm(t, w.s, map[string]any{"name": "crew", "topology": "mesh", "min_size": 1, "max_size": 20,
		"weights": map[string]any{"capability": 1, "load": 2, "success": 1, "speed": 0.5}, "budget": map[string]any{"tokens": 5000000}})
	for _, agent := range []string{r.planner, r.coder} {
		w.s.must(t, http.MethodPost, "/v1/swarms/"+r.swarm+"/members", map[string]any{"agent_id": agent}, nil)
	}
	var run struct {
		ID string `json:"id"`
	}
	// The README's run, its build step retried after 100ms instead of 10s.
	status, _, body := w.s.do(t, http.MethodPost, "/v1/workflows", `{"name": "release", "swarm_id": "`+r.swarm+`", "steps": [
		{"id": "plan",   "capability": "plan", "planner": true},
		{"id": "build",  "capability": "code", "depends_on": ["plan"], "input": {"target": "linux"},
		 "retry": {"max_attempts": 3, "backoff": "100ms"}, "timeout": "15m", "priority": 5},
		{"id": "ship",   "capability": "code", "depends_on": ["build"], "approval": true}]}`, map[string]string{"Hive-Correlation-Id": "release-42"})
	run.ID, _ = body["id"].(string)
	if status != http.StatusCreated || run.ID == "" {
		t.Fatalf("start the run: %d %v", status, body)
	}
	r.id = run.ID
	w.complete(t, tasksInFlight(t, w.s, r.planner, 1)[0], r.planner)
	build := tasksInFlight(t, w.s, r.coder, 1)[0]
	w.s.must(t, http.MethodPost, "/v1/tasks/"+build.ID+"/fail", map[string]any{"agent_id": r.coder, "reason": "tests failed", "retryable": true}, nil)
	w.complete(t, w.nextTask(t, r.coder, 2), r.coder) // the build's second attempt
	w.waitStep(t, r.id, "ship", "awaiting_approval")
	w.s.must(t, http.MethodPost, "/v1/workflows/"+r.id+"/steps/ship/approve", map[string]any{"by": "alice", "comment": "go"}, nil)
	w.complete(t, w.nextTask(t, r.coder, 1), r.coder) // ship
	for deadline := time.Now().Add(10 * time.Second); w.runStatus(t, r.id) != "completed"; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the run is %s, not completed", w.runStatus(t, r.id))
		}
	}
	return r
}

// complete reports task done by agent, with the README's output and usage.
func (w *walkthrough) complete(t *testing.T, task taskView, agent string) {
	t.Helper()
	w.s.must(t, http.MethodPost, "/v1/tasks/"+task.ID+"/complete", map[string]any{"agent_id": agent, "output": map[string]any{"ok": true},
		"usage": map[string]any{"model": "some-model", "input_tokens": 1200, "output_tokens": 300, "cost_micros": 4200}}, nil)
}

// nextTask waits for a task of agent in its attempt and returns it.
func (w *walkthrough) nextTask(t *testing.T, agent string, attempt int) taskView {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var tasks struct {
			Tasks []struct {
				taskView
				Attempt int `json:"attempt"`
			} `json:"tasks"`
		}
		w.s.must(t, http.MethodGet, "/v1/agents/"+agent+"/tasks", nil, &tasks)
		for _, task := range tasks.Tasks {
			if task.Attempt == attempt {
				return task.taskView
			}
		}
	}
	var got map[string]any
	w.s.must(t, http.MethodGet, "/v1/agents/"+agent, nil, &got)
	t.Fatalf("agent %s was given no task in its attempt %d: %v", agent, attempt, got)
	return taskView{}
}

// waitStep waits until the run's step is in status.
func (w *walkthrough) waitStep(t *testing.T, run, step, status string) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if w.s.steps(t, run)[step].Status == status {
			return
		}
	}
	t.Fatalf("step %s of run %s never %s", step, run, status)
}

// runStatus returns the run's status.
func (w *walkthrough) runStatus(t *testing.T, run string) string {
	t.Helper()
	var out struct {
		Status string `json:"status"`
	}
	w.s.must(t, http.MethodGet, "/v1/workflows/"+run, nil, &out)
	return out.Status
}

// tools is the README's CLI, Audit and replay, and Log tools sections:
// the client commands through the server, the log tools on the store.
func (w *walkthrough) tools(t *testing.T, r walkRun) {
	t.Helper()
	client := []string{"--server", w.srv.url, "--token", w.srv.token}
	hive := func(args ...string) string {
		t.Helper()
		out, err := runHive(t, args...)
		if err != nil {
			t.Fatalf("hive %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	contains(t, "agents list", hive(append([]string{"agents", "list", "--all"}, client...)...), "planner-1", "coder-2")
	contains(t, "workflows get", hive(append([]string{"workflows", "get", r.id}, client...)...), "completed", "plan", "build", "ship")
	log := w.toolFlags()
	contains(t, "events list", hive(append([]string{"events", "list", "--correlation-id", "release-42", "--all"}, log...)...), "RunStarted", "TaskAssigned", "StepCompleted", "workflow-"+r.id)
	contains(t, "events read", hive(append([]string{"events", "read", "workflow-" + r.id}, log...)...), "workflow-"+r.id)
	contains(t, "events tail", hive(append([]string{"events", "tail", "-n", "5"}, log...)...), "POSITION")
	contains(t, "verify", hive(append([]string{"verify"}, log...)...), "ok: ", "hash chains")
	contains(t, "audit", hive(append([]string{"audit", "swarm/" + r.swarm}, log...)...), "TaskAssigned")
	contains(t, "audit --correlation", hive(append([]string{"audit", "--correlation", "release-42"}, log...)...), "RunStarted")
	head := w.s.headPosition(t)
	contains(t, "replay", hive(append([]string{"replay", "swarm/" + r.swarm, "--at", strconv.FormatUint(head, 10)}, log...)...), r.coder)
	contains(t, "replay --what-if", hive(append([]string{"replay", "swarm/" + r.swarm, "--what-if", "capability=1,load=0"}, log...)...), "assignments")
	out := filepath.Join(t.TempDir(), "hive.ndjson")
	hive(append([]string{"export", "--out", out}, log...)...)
	contains(t, "verify --archive", hive("verify", "--archive", out), "ok: ")
}

// noPasswordInLog checks that the servers' logs never show the store
// URL's password.
func (w *walkthrough) noPasswordInLog(t *testing.T) {
	t.Helper()
	if len(w.storeFlags) == 0 {
		return
	}
	u, err := url.Parse(w.storeFlags[1])
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	for _, path := range w.logs {
		logged, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if pw == "" || strings.Contains(string(logged), pw) {
			t.Errorf("the server's log shows the store's password (or the URL has none):\n%s", logged)
		}
		if !strings.Contains(string(logged), `store="`+u.Scheme+"://"+u.User.Username()+":xxxxx@") {
			t.Errorf("the server's log does not name the store:\n%s", logged)
		}
	}
}
