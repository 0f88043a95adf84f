package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// heldScript does a task: it records that it ran, waits until the test
// lets its step end (a file go-<step> in dir), and prints its input in
// capitals.
func heldScript(dir string) string {
	return fmt.Sprintf(`echo "$HIVE_STEP_ID $HIVE_ATTEMPT" >> %[1]q/ran
while [ ! -e %[1]q/go-"$HIVE_STEP_ID" ]; do sleep 0.05; done
tr a-z A-Z`, dir)
}

// heldRun is a workflow run whose steps a heldScript worker holds until
// the test lets them end.
type heldRun struct {
	dir, id string
	s       *sim
}

// awaitStarted waits until the step's command has started, n times in all.
func (r heldRun) awaitStarted(t *testing.T, step string) {
	t.Helper()
	for give := time.Now().Add(30 * time.Second); r.runs(t, step) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(give) {
			t.Fatalf("step %s not started in 30s", step)
		}
	}
}

// runs is how many times the step's command started.
func (r heldRun) runs(t *testing.T, step string) int {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(r.dir, "ran"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	n := 0
	for line := range strings.Lines(string(raw)) {
		if strings.HasPrefix(line, step+" ") {
			n++
		}
	}
	return n
}

// release lets the step's command end.
func (r heldRun) release(t *testing.T, step string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(r.dir, "go-"+step), nil, 0o600); err != nil {
		t.Fatal(err)
	}
}

// heldStep is a step of a heldRun: one attempt, no timeout of its own, so
// that a lost result is not hidden by a retry.
func heldStep(id string, deps ...string) map[string]any {
	return map[string]any{"id": id, "capability": "text", "depends_on": deps, "input": map[string]any{"step": id}}
}

// TestWorkerSurvivesServerRestarts: a `hive agent run` worker keeps a
// task's result until Hive takes it, across a server restart while the
// task runs, a server outage longer than the client's own retries while
// the result is reported, and a restart of the worker itself during such
// an outage; the run completes and every step ran once.
func TestWorkerSurvivesServerRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hive, restarts it under a worker; skipped with -short")
	}
	bin := buildHive(t)
	dataDir, addr := t.TempDir(), freeAddr(t)
	srv := startServerAt(t, bin, dataDir, "first", addr)
	waitReady(t, srv)
	s := operatorSim(srv)
	swarmID := createSwarm(t, s, map[string]any{"name": "steady", "topology": "mesh"})
	_, bearer := agentWithToken(t, s, swarmID, "keeper")
	r := heldRun{dir: t.TempDir(), s: s}
	stateDir := t.TempDir()
	flags := []string{"--exec", heldScript(r.dir), "--state-dir", stateDir}
	w := startWorker(t, bin, srv, "keeper", bearer, flags...)
	steps := []any{heldStep("during"), heldStep("after", "during"), heldStep("kept", "after")}
	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "held", "swarm_id": swarmID, "steps": steps}, &run)
	r.id = run.ID

	// The server restarts while the task runs.
	r.awaitStarted(t, "during")
	srv.kill(t)
	srv = startServerAt(t, bin, dataDir, "second", addr)
	waitReady(t, srv)
	r.release(t, "during")

	// The task ends while the server is down, for longer than the client
	// retries on its own.
	r.awaitStarted(t, "after")
	srv.kill(t)
	r.release(t, "after")
	time.Sleep(6 * time.Second) // the outage
	srv = startServerAt(t, bin, dataDir, "third", addr)
	waitReady(t, srv)

	// The task ends while the server is down, and the worker is killed
	// with the result in its outbox; both come back.
	r.awaitStarted(t, "kept")
	srv.kill(t)
	r.release(t, "kept")
	awaitOutbox(t, stateDir)
	w.kill(t)
	srv = startServerAt(t, bin, dataDir, "fourth", addr)
	waitReady(t, srv)
	startWorker(t, bin, srv, "keeper", bearer, flags...)

	s.waitStatus(t, r.id, "completed")
	for _, st := range []string{"during", "after", "kept"} {
		if n := r.runs(t, st); n != 1 {
			t.Errorf("step %s ran %d times, want once", st, n)
		}
	}
}

// awaitOutbox waits until a worker's outbox in stateDir holds a result.
func awaitOutbox(t *testing.T, stateDir string) {
	t.Helper()
	for give := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if held, _ := filepath.Glob(filepath.Join(stateDir, "outbox", "*.json")); len(held) > 0 {
			return
		}
		if time.Now().After(give) {
			t.Fatal("no result in the worker's outbox after 30s")
		}
	}
}

// kill sends SIGKILL to the worker and waits for it to die.
func (w *hiveWorker) kill(t *testing.T) {
	t.Helper()
	if err := w.cmd.Process.Kill(); err != nil {
		t.Fatalf("kill hive agent run: %v", err)
	}
	<-w.exited
}
