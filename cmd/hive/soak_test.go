//go:build soak

package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hive/events"
	"hive/events/pebblestore"
	"hive/events/storetest"
	hivev1 "hive/proto/hive/v1"
)

// The soak campaign's knobs (`make soak` sets them; see the Makefile).
var (
	soakKills      = flag.Int("soak.kills", 20, "how many times the soak kills hive serve with SIGKILL")
	soakMinUp      = flag.Duration("soak.min-up", time.Second, "shortest time the server runs under load before a kill")
	soakMaxUp      = flag.Duration("soak.max-up", 3*time.Second, "longest time the server runs under load before a kill")
	soakMaxDown    = flag.Duration("soak.max-down", 5*time.Second, "longest time the server stays down after a kill (workers then hold results Hive cannot take)")
	soakSubmitters = flag.Int("soak.submitters", 2, "client goroutines submitting runs and tasks")
	soakPace       = flag.Duration("soak.pace", 50*time.Millisecond, "pause of each submitter between two submissions")
	soakDrain      = flag.Duration("soak.drain", 3*time.Minute, "how long the acknowledged work may take to finish after the last kill")
)

// soakScript is the workers' command: it records each execution (task and
// attempt) in the file named by SOAK_EXEC_LOG and prints a JSON output.
const soakScript = `echo "$HIVE_TASK_ID $HIVE_ATTEMPT" >> "$SOAK_EXEC_LOG"; printf '{"task":"%s"}' "$HIVE_TASK_ID"`

// soakWorkers is how many `hive agent run` workers do the tasks.
const soakWorkers = 3

// soakAcks are the submissions Hive acknowledged with a 2xx.
type soakAcks struct {
	mu        sync.Mutex
	runs      []string
	tasks     []string
	attempted int
	// full counts the submissions answered 507 (the disk was full).
	full int
}

// add records one submission, and the run or task id Hive acknowledged
// (both empty when it did not answer with a 2xx).
func (a *soakAcks) add(code int, run, task string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.attempted++
	if code == http.StatusInsufficientStorage {
		a.full++
	}
	switch {
	case run != "":
		a.runs = append(a.runs, run)
	case task != "":
		a.tasks = append(a.tasks, task)
	}
}

// TestSoak is the crash campaign: three `hive agent run` workers do the
// tasks of runs and direct tasks that clients submit while hive serve is
// killed with SIGKILL -soak.kills times at random moments and restarted
// on the same address after a random outage. Then every acknowledged run
// and task must be in the log, every run completed, no task completed
// twice, no attempt executed twice, and `hive verify` clean; and each way
// of damaging the log's newest write-ahead file must be refused by hive
// serve and hive verify. When run as root, the data dir is on a tmpfs of
// its own and every fourth round fills it first: commands answer 507,
// reads 200, and a start on the full disk fails at once. It prints the
// figures.
func TestSoak(t *testing.T) {
	bin := buildHive(t)
	disk := soakDisk(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	if disk != "" {
		dataDir = filepath.Join(disk, "data")
	}
	addr := freeAddr(t)
	rng := killRand(t)
	srv := startServerAt(t, bin, dataDir, "start", addr)
	waitReady(t, srv)

	op := operatorSim(srv)
	swarmID := createSwarm(t, op, map[string]any{"name": "soak", "topology": "mesh"})
	execLog := filepath.Join(t.TempDir(), "exec.log")
	t.Setenv("SOAK_EXEC_LOG", execLog) // inherited by the workers
	for i := 1; i <= soakWorkers; i++ {
		name := fmt.Sprintf("soak-%d", i)
		_, bearer := agentWithToken(t, op, swarmID, name)
		startWorker(t, bin, srv, name, bearer, "--exec", soakScript, "--max-concurrency", "4")
	}

	ctx, stop := context.WithCancel(context.Background())
	defer stop() // a failing test leaves no submitter behind
	acks := &soakAcks{}
	var wg sync.WaitGroup
	for i := range *soakSubmitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			submitUntil(ctx, op, swarmID, i, acks)
		}()
	}
	fullRounds := 0
	for kill := 1; kill <= *soakKills; kill++ {
		up := *soakMinUp + time.Duration(rng.Int64N(int64(*soakMaxUp-*soakMinUp)+1))
		time.Sleep(up)
		full := kill%soakFullEvery == 0 && disk != ""
		var free func()
		if full {
			free = soakFullDisk(t, op, disk, up)
			fullRounds++
		}
		srv.kill(t)
		time.Sleep(time.Duration(rng.Int64N(int64(*soakMaxDown) + 1)))
		if full {
			soakStartOnFullDisk(t, bin, dataDir, addr, kill)
			free()
		}
		srv = startServerAt(t, bin, dataDir, fmt.Sprintf("restart-%d", kill), addr)
		waitReady(t, srv)
	}
	stop()
	wg.Wait()

	completed := waitSoakDone(t, op, acks)
	stopServer(t, srv)
	verify := soakVerify(t, bin, dataDir)
	lost, dupes := checkSoakLog(t, dataDir, acks)
	reruns := checkSoakExecutions(t, execLog)
	refused := soakDamagedLogs(t, bin, dataDir)
	fmt.Printf("soak: kills=%d acknowledged=%d (runs=%d tasks=%d, of %d sent) lost=%d duplicates=%d re-executed=%d runs_completed=%d verify=%s\n",
		*soakKills, len(acks.runs)+len(acks.tasks), len(acks.runs), len(acks.tasks), acks.attempted,
		lost, dupes, reruns, completed, verify)
	fmt.Printf("soak: damaged write-ahead logs refused by serve and verify: %d of %d\n", refused, len(walDamages))
	if disk == "" {
		fmt.Println("soak: disk-full rounds skipped: they mount a tmpfs, which needs root")
	} else {
		fmt.Printf("soak: disk-full rounds=%d (commands answered 507: %d; reads 200; each start on the full disk refused)\n", fullRounds, acks.full)
	}
}

// soakFullEvery makes every soakFullEvery-th round of the campaign a
// disk-full round.
const soakFullEvery = 4

// soakDisk returns a tmpfs of its own for the campaign's data dir when the
// test runs as root, so that the disk-full rounds can fill it; else "",
// and those rounds are skipped.
func soakDisk(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		return ""
	}
	return storetest.SmallDisk(t, 1<<30)
}

// soakFullDisk fills the disk under the running server for up (the
// clients and workers go on meanwhile), checks that a command answers 507
// and reads still answer 200, and returns the function that frees the
// disk again.
func soakFullDisk(t *testing.T, s *sim, disk string, up time.Duration) (free func()) {
	t.Helper()
	free = storetest.FillDisk(t, disk)
	time.Sleep(up)
	code, err := s.call(http.MethodPost, "/v1/agents", map[string]any{"name": "soak-full-" + strconv.FormatInt(time.Now().UnixNano(), 36)}, nil)
	if code != http.StatusInsufficientStorage {
		t.Errorf("register on a full disk: %d (%v), want 507", code, err)
	}
	for _, path := range []string{"/v1/agents", "/v1/views/queue", "/v1/events?limit=10"} {
		if code, err := s.call(http.MethodGet, path, nil, nil); code != http.StatusOK {
			t.Errorf("GET %s on a full disk: %d (%v), want 200", path, code, err)
		}
	}
	return free
}

// soakStartOnFullDisk starts hive serve on the full disk and checks that it
// exits at once with a non-zero status.
func soakStartOnFullDisk(t *testing.T, bin, dataDir, addr string, round int) {
	t.Helper()
	srv := startServerAt(t, bin, dataDir, fmt.Sprintf("full-%d", round), addr)
	select {
	case <-srv.exited:
		if srv.waitErr == nil {
			t.Errorf("round %d: hive serve on a full disk exited 0, want a failure", round)
		}
	case <-time.After(startPatience):
		t.Fatalf("round %d: hive serve on a full disk still running after %v", round, startPatience)
	}
}

// soakDamagedLogs damages copies of the campaign's data dir the ways
// walDamages lists and checks that hive serve refuses to start on each
// (exit 1, naming --accept-log-loss) and hive verify fails; it returns how
// many were refused by both.
func soakDamagedLogs(t *testing.T, bin, dataDir string) (refused int) {
	t.Helper()
	for _, d := range walDamages {
		dir := copyDir(t, dataDir)
		if err := d.damage(newestWAL(t, dir)); err != nil {
			t.Fatalf("%s: %v", d.name, err)
		}
		serve := exitOf(t, bin, "serve", "--addr", "127.0.0.1:0", "--data-dir", dir)
		verify := exitOf(t, bin, "verify", "--data-dir", dir)
		if serve.code != 1 || !strings.Contains(serve.out, "--accept-log-loss") {
			t.Errorf("%s: hive serve exited %d:\n%s", d.name, serve.code, serve.out)
			continue
		}
		if verify.code != 1 {
			t.Errorf("%s: hive verify exited %d:\n%s", d.name, verify.code, verify.out)
			continue
		}
		refused++
	}
	return refused
}

// exited is how a hive process ended: its exit code and its output.
type exited struct {
	code int
	out  string
}

// exitOf runs bin with args, killing it after 30 s, and returns how it
// ended.
func exitOf(t *testing.T, bin string, args ...string) exited {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return exited{0, string(out)}
	case errors.As(err, &exit):
		return exited{exit.ExitCode(), string(out)}
	default:
		t.Fatalf("hive %s: %v", args[0], err)
		return exited{}
	}
}

// submitUntil submits, until ctx ends, alternately a run of three steps in
// a row and a direct task, once per -soak.pace, recording what was
// acknowledged. Unanswered submissions (the server is down) are not.
func submitUntil(ctx context.Context, s *sim, swarmID string, submitter int, acks *soakAcks) {
	for n := 0; ctx.Err() == nil; n++ {
		if n%2 == 0 {
			var run struct {
				ID string `json:"id"`
			}
			code, err := s.call(http.MethodPost, "/v1/workflows", map[string]any{
				"name": fmt.Sprintf("soak-%d-%d", submitter, n), "swarm_id": swarmID,
				"steps": []any{step("a", "text"), step("b", "text", "a"), step("c", "text", "b")},
			}, &run)
			if err != nil {
				run.ID = ""
			}
			acks.add(code, run.ID, "")
		} else {
			var task struct {
				TaskID string `json:"task_id"`
			}
			code, err := s.call(http.MethodPost, "/v1/swarms/"+swarmID+"/tasks", map[string]any{
				"capability": "text", "input": map[string]any{"n": n}, "max_attempts": 3,
			}, &task)
			if err != nil {
				task.TaskID = ""
			}
			acks.add(code, "", task.TaskID)
		}
		select {
		case <-ctx.Done():
		case <-time.After(*soakPace):
		}
	}
}

// waitSoakDone waits until every acknowledged run has completed and the
// queue is empty, and returns how many runs completed.
func waitSoakDone(t *testing.T, s *sim, acks *soakAcks) int {
	t.Helper()
	pending := map[string]bool{}
	for _, id := range acks.runs {
		pending[id] = true
	}
	deadline := time.Now().Add(*soakDrain)
	for {
		for id := range pending {
			var run struct {
				Status string `json:"status"`
			}
			if _, err := s.call(http.MethodGet, "/v1/workflows/"+id, nil, &run); err == nil && run.Status == "completed" {
				delete(pending, id)
			}
		}
		var queue struct {
			Totals struct {
				Pending  int `json:"pending"`
				Assigned int `json:"assigned"`
				Running  int `json:"running"`
			} `json:"totals"`
		}
		_, err := s.call(http.MethodGet, "/v1/views/queue", nil, &queue)
		idle := err == nil && queue.Totals.Pending+queue.Totals.Assigned+queue.Totals.Running == 0
		if len(pending) == 0 && idle {
			return len(acks.runs)
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v, %d acknowledged runs are not completed (e.g. %v); queue %+v (%v)", *soakDrain, len(pending), firstKeys(pending, 5), queue.Totals, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func firstKeys(m map[string]bool, n int) []string {
	var out []string
	for k := range m {
		if len(out) == n {
			break
		}
		out = append(out, k)
	}
	return out
}

// soakVerify runs `hive verify` on the stopped server's data dir and fails
// unless it is clean; it returns its last line.
func soakVerify(t *testing.T, bin, dataDir string) string {
	t.Helper()
	out, err := exec.Command(bin, "verify", "--data-dir", dataDir).CombinedOutput()
	if err != nil {
		t.Fatalf("hive verify: %v\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1]
}

// checkSoakLog reads the log of the stopped server and counts the
// acknowledged runs and tasks it lacks (lost) and the tasks or runs it
// completed more than once (duplicates), failing the test if either is not
// zero.
func checkSoakLog(t *testing.T, dataDir string, acks *soakAcks) (lost, dupes int) {
	t.Helper()
	store, err := pebblestore.OpenReadOnly(pebblestore.Config{Dir: filepath.Join(dataDir, "events")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	queued, done, runs := map[string]int{}, map[string]int{}, map[string]int{}
	for after := uint64(0); ; {
		page, err := store.ReadAll(context.Background(), after, 4096)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		for i := range page {
			countSoakEvent(t, &page[i], queued, done, runs)
		}
		after = page[len(page)-1].Position
	}
	for _, id := range acks.tasks {
		if queued[id] == 0 {
			lost++
			t.Errorf("acknowledged task %s is not in the log", id)
		}
		if done[id] != 1 {
			t.Errorf("task %s completed %d times", id, done[id])
		}
	}
	for _, id := range acks.runs {
		if runs[id] != 1 {
			t.Errorf("acknowledged run %s completed %d times", id, runs[id])
		}
		if runs[id] == 0 {
			lost++
		}
	}
	for _, counts := range []map[string]int{done, runs} {
		for _, n := range counts {
			if n > 1 {
				dupes += n - 1
			}
		}
	}
	return lost, dupes
}

func countSoakEvent(t *testing.T, env *events.Envelope, queued, done, runs map[string]int) {
	t.Helper()
	switch env.Type {
	case "hive.v1.TaskQueued", "hive.v1.TaskCompleted", "hive.v1.RunCompleted":
	default:
		return
	}
	msg, err := events.Decode(env)
	if err != nil {
		t.Fatalf("event %d: %v", env.Position, err)
	}
	switch m := msg.(type) {
	case *hivev1.TaskQueued:
		queued[m.GetTaskId()]++
	case *hivev1.TaskCompleted:
		done[m.GetTaskId()]++
	case *hivev1.RunCompleted:
		runs[m.GetRunId()]++
	}
}

// checkSoakExecutions reads the workers' execution log and fails if an
// attempt of a task ran twice; it returns how many tasks ran more than one
// attempt (retries after a lost agent or a timeout are allowed).
func checkSoakExecutions(t *testing.T, path string) (reruns int) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("execution log: %v", err)
	}
	defer f.Close()
	attempts, tasks := map[string]int{}, map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		attempts[sc.Text()]++
		task, _, _ := strings.Cut(sc.Text(), " ")
		tasks[task]++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	for attempt, n := range attempts {
		if n > 1 {
			t.Errorf("task attempt %q executed %d times", attempt, n)
		}
	}
	for _, n := range tasks {
		if n > 1 {
			reruns++
		}
	}
	return reruns
}
