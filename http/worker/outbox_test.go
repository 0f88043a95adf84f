package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"hive/http/client"
	"hive/http/worker"
)

const agentID = "agent-1"

// fakeHive is a Hive that lists the tasks it assigned to the agent and
// answers each report with the next of its scripted answers (nil: taken),
// the last one repeated; a report taken ends the task's assignment.
type fakeHive struct {
	mu       sync.Mutex
	assigned []client.Assignment
	answers  []error
	reports  []string // "complete <task>" or "fail <task>: <reason> retryable|final"
	calls    []string // drain and deregister calls
}

func (h *fakeHive) Register(context.Context, client.Registration) (client.Agent, error) {
	return client.Agent{ID: agentID, Status: "idle"}, nil
}

func (h *fakeHive) JoinSwarm(context.Context, string, string) error { return nil }
func (h *fakeHive) Heartbeat(context.Context, string) error         { return nil }

func (h *fakeHive) Assignments(ctx context.Context, _ string, _ time.Duration, after uint64) (client.Work, error) {
	if after > 0 { // the worker knows the list: wait a little, as a long poll would
		select {
		case <-ctx.Done():
			return client.Work{}, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return client.Work{Assignments: slices.Clone(h.assigned), Cursor: 1}, nil
}

func (h *fakeHive) answer(taskID, report string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reports = append(h.reports, report)
	err := h.answers[0]
	if len(h.answers) > 1 {
		h.answers = h.answers[1:]
	}
	if err == nil || client.StatusOf(err) == http.StatusConflict {
		h.assigned = slices.DeleteFunc(h.assigned, func(a client.Assignment) bool { return a.TaskID == taskID })
	}
	return err
}

func (h *fakeHive) Complete(_ context.Context, taskID string, r client.Result) error {
	return h.answer(taskID, "complete "+taskID+" "+string(r.Output))
}

func (h *fakeHive) Fail(_ context.Context, taskID string, f client.Failure) error {
	final := "final"
	if f.Retryable {
		final = "retryable"
	}
	return h.answer(taskID, "fail "+taskID+": "+f.Reason+" "+final)
}

func (h *fakeHive) Drain(context.Context, string, string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, "drain")
	return nil
}

func (h *fakeHive) Deregister(context.Context, string, string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, "deregister")
	return nil
}

func (h *fakeHive) reported() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.reports)
}

func (h *fakeHive) called() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.calls)
}

// counter is a Runner that counts its runs and prints {"ok":true}.
type counter struct {
	mu   sync.Mutex
	runs int
}

func (c *counter) Run(context.Context, string, client.Assignment) (json.RawMessage, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.runs++
	return json.RawMessage(`{"ok":true}`), nil
}

func (c *counter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.runs
}

// running is a worker running in a goroutine.
type running struct {
	cancel context.CancelFunc
	done   chan error
}

// start runs a worker on hive with runner and stateDir.
func start(t *testing.T, hive worker.API, runner worker.Runner, stateDir string) running {
	t.Helper()
	w, err := worker.New(worker.Config{Name: "w", Capabilities: []string{"text"}, StateDir: stateDir, Server: "http://hive",
		PollWait: time.Second, ReportBackoff: time.Millisecond, MaxReportBackoff: 5 * time.Millisecond, ReportTimeout: 200 * time.Millisecond},
		hive, runner, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := running{cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- w.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// stop drains the worker and returns what Run returned.
func (r running) stop(t *testing.T) error {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("worker still running 10s after it was stopped")
		return nil
	}
}

// eventually waits until ok holds, failing after a while.
func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for give := time.Now().Add(10 * time.Second); !ok(); time.Sleep(time.Millisecond) {
		if time.Now().After(give) {
			t.Fatalf("not so after 10s: %s", what)
		}
	}
}

func held(t *testing.T, stateDir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(stateDir, "outbox", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

var (
	unreachable = errors.New("dial tcp 127.0.0.1:8080: connect: connection refused")
	unavailable = &client.ProblemError{Status: http.StatusServiceUnavailable}
	notOurs     = &client.ProblemError{Status: http.StatusConflict, Detail: "task not assigned to this agent"}
	gone        = &client.ProblemError{Status: http.StatusNotFound}
	badOutput   = &client.ProblemError{Status: http.StatusUnprocessableEntity, Detail: "the request has invalid fields"}
)

func task(attempt int) client.Assignment {
	return client.Assignment{TaskID: "s.1", StepID: "build", Attempt: attempt, Position: 1}
}

// TestResultSurvivesWorkerRestart: a result Hive does not take is kept on
// disk (0600, in a 0700 directory) and sent again and again; a worker
// stopped meanwhile keeps it, does not deregister the agent, and says so;
// the next worker on the same state dir sends it first, does not run the
// task again, and forgets the result once Hive takes it.
func TestResultSurvivesWorkerRestart(t *testing.T) {
	stateDir := t.TempDir()
	down := &fakeHive{assigned: []client.Assignment{task(1)}, answers: []error{unreachable}}
	runner := &counter{}
	w := start(t, down, runner, stateDir)
	eventually(t, "the result sent three times", func() bool { return len(down.reported()) >= 3 })
	files := held(t, stateDir)
	if len(files) != 1 {
		t.Fatalf("outbox holds %v, want the one result", files)
	}
	for path, want := range map[string]os.FileMode{files[0]: 0o600, filepath.Dir(files[0]): 0o700 | os.ModeDir} {
		if fi, err := os.Stat(path); err != nil || fi.Mode() != want {
			t.Errorf("%s: mode %v (%v), want %v", path, fi.Mode(), err, want)
		}
	}
	if err := w.stop(t); !errors.Is(err, worker.ErrResultsKept) {
		t.Fatalf("Run = %v, want ErrResultsKept", err)
	}
	if calls := down.called(); slices.Contains(calls, "deregister") {
		t.Errorf("calls %v: the agent was deregistered with a result unreported", calls)
	}

	up := &fakeHive{assigned: []client.Assignment{task(1)}, answers: []error{nil}}
	w = start(t, up, runner, stateDir)
	eventually(t, "the kept result taken", func() bool { return len(held(t, stateDir)) == 0 })
	if got := up.reported(); !slices.Equal(got, []string{`complete s.1 {"ok":true}`}) {
		t.Errorf("reports after the restart = %q, want the kept completion once", got)
	}
	if err := w.stop(t); err != nil {
		t.Fatalf("Run = %v after every result was taken", err)
	}
	if runner.count() != 1 {
		t.Errorf("the task ran %d times, want once", runner.count())
	}
	if calls := up.called(); !slices.Equal(calls, []string{"drain", "deregister"}) {
		t.Errorf("calls %v, want drain and deregister", calls)
	}
}

// TestHiveAnswersEndAResult: what the outbox does with Hive's answers to a
// result. It is forgotten once taken (also "already recorded"), or once the
// task is no longer the agent's; it is kept and sent again while Hive is
// unreachable or unavailable; a completion whose output Hive refuses
// becomes a final failure saying why.
func TestHiveAnswersEndAResult(t *testing.T) {
	complete := `complete s.1 {"ok":true}`
	for _, tc := range []struct {
		name    string
		answers []error
		want    []string
	}{
		{"taken", []error{nil}, []string{complete}},
		{"refused: not the agent's", []error{notOurs}, []string{complete}},
		{"refused: no such task", []error{gone}, []string{complete}},
		{"unreachable, then taken", []error{unreachable, unreachable, nil}, []string{complete, complete, complete}},
		{"unavailable, then not the agent's", []error{unavailable, notOurs}, []string{complete, complete}},
		{"output refused", []error{badOutput, nil}, []string{complete,
			"fail s.1: Hive refused the task's output: hive: 422 Unprocessable Entity: the request has invalid fields final"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stateDir := t.TempDir()
			hive := &fakeHive{assigned: []client.Assignment{task(1)}, answers: tc.answers}
			w := start(t, hive, &counter{}, stateDir)
			eventually(t, "every answer given", func() bool { return len(hive.reported()) >= len(tc.want) })
			eventually(t, "the outbox empty", func() bool { return len(held(t, stateDir)) == 0 })
			if err := w.stop(t); err != nil {
				t.Fatalf("Run = %v", err)
			}
			if got := hive.reported(); !slices.Equal(got, tc.want) {
				t.Errorf("reports %q, want %q", got, tc.want)
			}
		})
	}
}

// TestLaterAttemptSupersedesAKeptResult: a result kept for attempt 1 is
// dropped once Hive lists attempt 2 of the task, which the worker runs.
func TestLaterAttemptSupersedesAKeptResult(t *testing.T) {
	stateDir := t.TempDir()
	hive := &fakeHive{assigned: []client.Assignment{task(1)}, answers: []error{unavailable}}
	runner := &counter{}
	w := start(t, hive, runner, stateDir)
	eventually(t, "attempt 1's result sent", func() bool { return len(hive.reported()) >= 1 })
	hive.mu.Lock()
	hive.assigned = []client.Assignment{task(2)}
	hive.mu.Unlock()
	eventually(t, "attempt 2 run, its result alone kept", func() bool {
		files := held(t, stateDir)
		return runner.count() == 2 && len(files) == 1 && strings.HasSuffix(files[0], "-2.json")
	})
	if err := w.stop(t); !errors.Is(err, worker.ErrResultsKept) {
		t.Fatalf("Run = %v, want ErrResultsKept", err)
	}
}

// TestOneWorkerPerStateDir: of two workers on one state dir, one stops at
// once with ErrStateDirInUse.
func TestOneWorkerPerStateDir(t *testing.T) {
	stateDir := t.TempDir()
	hive := &fakeHive{answers: []error{nil}}
	a, b := start(t, hive, &counter{}, stateDir), start(t, hive, &counter{}, stateDir)
	var err error
	other := a
	select {
	case err = <-a.done:
		a.done <- err
		other = b
	case err = <-b.done:
		b.done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("two workers run on one state dir")
	}
	if !errors.Is(err, worker.ErrStateDirInUse) {
		t.Fatalf("a worker stopped with %v, want ErrStateDirInUse", err)
	}
	if err := other.stop(t); err != nil {
		t.Fatalf("the other worker: %v", err)
	}
}

// failing is a Runner whose task fails with reason.
type failing struct{ reason string }

func (f failing) Run(context.Context, string, client.Assignment) (json.RawMessage, error) {
	return nil, &worker.Failure{Reason: f.reason, Retryable: true}
}

// TestFailureReasonFitsHive: a failure's reason is made one Hive takes
// (valid UTF-8, no control characters but line breaks and tabs, at most
// MaxReasonLength characters, its start and end kept), so that a command's
// odd error output cannot get its failure refused.
func TestFailureReasonFitsHive(t *testing.T) {
	long := "exit status 1: " + strings.Repeat("é", 3000) + "\x1b[31mboom\r\n\xff\tend"
	hive := &fakeHive{assigned: []client.Assignment{task(1)}, answers: []error{nil}}
	w := start(t, hive, failing{reason: long}, t.TempDir())
	eventually(t, "the failure reported", func() bool { return len(hive.reported()) == 1 })
	if err := w.stop(t); err != nil {
		t.Fatal(err)
	}
	reason := strings.TrimSuffix(strings.TrimPrefix(hive.reported()[0], "fail s.1: "), " retryable")
	switch {
	case !utf8.ValidString(reason):
		t.Errorf("reason is not valid UTF-8: %q", reason)
	case utf8.RuneCountInString(reason) > worker.MaxReasonLength:
		t.Errorf("reason has %d characters, more than %d", utf8.RuneCountInString(reason), worker.MaxReasonLength)
	case strings.ContainsAny(reason, "\x1b\r"):
		t.Errorf("reason keeps control characters: %q", reason)
	case !strings.HasPrefix(reason, "exit status 1: ééé") || !strings.HasSuffix(reason, "[31mboom \n\uFFFD\tend"):
		t.Errorf("reason %q does not keep the start and the end", reason)
	}
}
