package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// workerScript does a task: on the first attempt of the step "slow" it
// sleeps first (long enough to be killed mid-task), the step "nap" naps a
// second; it prints its input in capitals, a JSON object.
const workerScript = `if [ "$HIVE_STEP_ID" = slow ] && [ "$HIVE_ATTEMPT" = 1 ]; then sleep 20; fi
if [ "$HIVE_STEP_ID" = nap ]; then sleep 1; fi
tr a-z A-Z`

// hiveWorker is a running `hive agent run` process.
type hiveWorker struct {
	name   string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // set before exited is closed
}

// startWorker runs `hive agent run` as name against srv with token,
// logging to a file printed if the test fails. Its state dir is a new
// temporary one unless flags name one.
func startWorker(t *testing.T, bin string, srv *hiveServer, name, token string, flags ...string) *hiveWorker {
	t.Helper()
	logFile := childLog(t, "hive agent run", name)
	args := append([]string{"agent", "run", "--name", name, "--capability", "text", "--exec", workerScript,
		"--server", srv.url, "--poll-wait", "5s", "--timeout", "1m", "--log-level", "debug", "--state-dir", t.TempDir()}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "HIVE_TOKEN="+token)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	err := cmd.Start()
	logFile.Close()
	if err != nil {
		t.Fatalf("start hive agent run: %v", err)
	}
	w := &hiveWorker{name: name, cmd: cmd, exited: make(chan struct{})}
	go func() {
		w.err = cmd.Wait()
		close(w.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-w.exited
	})
	return w
}

// operatorSim returns a sim of srv with its admin token.
func operatorSim(srv *hiveServer) *sim {
	s := &sim{client: newClient(), token: srv.token}
	s.url.Store(&srv.url)
	return s
}

// agentWithToken registers an agent named name with the capability text,
// makes it a member of swarmID, and returns its id and an agent token of it.
func agentWithToken(t *testing.T, s *sim, swarmID, name string) (id, bearer string) {
	t.Helper()
	id = registerAgent(t, s, name, "text")
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/members", map[string]any{"agent_id": id}, nil)
	var tok struct {
		Token string `json:"token"`
	}
	s.must(t, http.MethodPost, "/v1/tokens", map[string]any{"role": "agent", "agent_id": id, "name": name}, &tok)
	return id, tok.Token
}

type runStep struct {
	ID      string          `json:"id"`
	Status  string          `json:"status"`
	Agent   string          `json:"agent_id"`
	Attempt int             `json:"attempt"`
	Output  json.RawMessage `json:"output"`
}

func (s *sim) steps(t *testing.T, runID string) map[string]runStep {
	t.Helper()
	var run struct {
		Steps []runStep `json:"steps"`
	}
	s.must(t, http.MethodGet, "/v1/workflows/"+runID, nil, &run)
	out := map[string]runStep{}
	for _, st := range run.Steps {
		out[st.ID] = st
	}
	return out
}

// TestWorkersRunAWorkflow is the workers' acceptance test: three
// `hive agent run` workers with agent tokens run a workflow's steps with a
// shell command; the one given the slow step is killed mid-task, and its
// task completes on another worker; on each store.
func TestWorkersRunAWorkflow(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hive and runs workers; skipped with -short")
	}
	bin := buildHive(t)
	forEachStore(t, func(t *testing.T, st testStore) {
		srv := startServer(t, bin, t.TempDir(), "workers", append(st.flags(), "--heartbeat-timeout", "1s")...)
		waitReady(t, srv)
		s := operatorSim(srv)
		swarmID := createSwarm(t, s, map[string]any{"name": "shell", "topology": "mesh"})
		workers := map[string]*hiveWorker{}
		for _, name := range []string{"w1", "w2", "w3"} {
			id, bearer := agentWithToken(t, s, swarmID, name)
			workers[id] = startWorker(t, bin, srv, name, bearer)
		}
		text := func(id, word string, deps ...string) map[string]any {
			sp := step(id, "text", deps...)
			sp["input"] = map[string]any{"word": word}
			sp["retry"] = map[string]any{"max_attempts": 3}
			return sp
		}
		var run struct {
			ID string `json:"id"`
		}
		s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "shout", "swarm_id": swarmID, "steps": []any{
			text("slow", "patience"), text("a", "alpha"), text("b", "beta", "a"), text("c", "gamma", "a"), text("d", "delta", "b", "c"),
		}}, &run)

		var victim string
		deadline := time.Now().Add(20 * time.Second)
		for victim == "" || s.steps(t, run.ID)["slow"].Status != "running" && s.steps(t, run.ID)["slow"].Status != "assigned" {
			if time.Now().After(deadline) {
				t.Fatalf("step slow not assigned in 20s: %+v", s.steps(t, run.ID)["slow"])
			}
			victim = s.steps(t, run.ID)["slow"].Agent
			time.Sleep(50 * time.Millisecond)
		}
		time.Sleep(300 * time.Millisecond) // the worker has started the command
		w := workers[victim]
		if w == nil {
			t.Fatalf("slow step assigned to %s, not a worker", victim)
		}
		if err := w.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-w.exited
		t.Logf("killed %s (%s) running the slow step", w.name, victim)

		s.waitStatus(t, run.ID, "completed")
		steps := s.steps(t, run.ID)
		// A step's task input is {"input": …, "deps": {step: output}}; the
		// command printed it in capitals.
		for id, word := range map[string]string{"slow": "PATIENCE", "a": "ALPHA", "b": "BETA", "c": "GAMMA", "d": "DELTA"} {
			var out struct {
				Input struct{ Word string }      `json:"INPUT"`
				Deps  map[string]json.RawMessage `json:"DEPS"`
			}
			if err := json.Unmarshal(steps[id].Output, &out); err != nil || out.Input.Word != word {
				t.Errorf("step %s output %s (%v), want its input's word %s in capitals", id, steps[id].Output, err, word)
			}
			if id == "d" && (out.Deps["B"] == nil || out.Deps["C"] == nil) {
				t.Errorf("step d output %s, want the outputs of b and c among its input's deps", steps[id].Output)
			}
		}
		if slow := steps["slow"]; slow.Agent == victim || slow.Attempt < 2 {
			t.Errorf("slow step done by %s on attempt %d; want another agent than the killed %s, on a later attempt", slow.Agent, slow.Attempt, victim)
		}
	})
}

// TestWorkerDrainsOnSIGTERM: a worker told to stop while it runs a task
// finishes it, reports it, and exits 0; the agent takes no more work.
func TestWorkerDrainsOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hive and runs a worker; skipped with -short")
	}
	bin := buildHive(t)
	srv := startServer(t, bin, t.TempDir(), "drain")
	waitReady(t, srv)
	s := operatorSim(srv)
	swarmID := createSwarm(t, s, map[string]any{"name": "calm", "topology": "mesh"})
	id, bearer := agentWithToken(t, s, swarmID, "napper")
	w := startWorker(t, bin, srv, "napper", bearer)
	nap := step("nap", "text")
	nap["input"] = map[string]any{"word": "zzz"}
	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "nap", "swarm_id": swarmID, "steps": []any{nap}}, &run)
	deadline := time.Now().Add(20 * time.Second)
	for s.steps(t, run.ID)["nap"].Agent != id {
		if time.Now().After(deadline) {
			t.Fatal("step nap not assigned in 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // the command runs: it naps for 1s
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-w.exited:
		if w.err != nil {
			t.Fatalf("worker exited with %v after SIGTERM, want 0", w.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("worker still running 20s after SIGTERM")
	}
	if st := s.steps(t, run.ID)["nap"]; st.Status != "completed" || !strings.Contains(string(st.Output), "ZZZ") {
		t.Fatalf("step after the drain: %+v, want completed with ZZZ", st)
	}
	var ag struct {
		Status string `json:"status"`
	}
	s.must(t, http.MethodGet, "/v1/agents/"+id, nil, &ag)
	if ag.Status != "draining" && ag.Status != "gone" {
		t.Fatalf("agent after the drain is %q, want draining or gone", ag.Status)
	}
}
