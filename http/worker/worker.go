// Package worker runs an agent's tasks from Hive: it registers the agent
// (or resumes it), long-polls its assignments, runs each with a Runner, at
// most MaxConcurrency at a time, and reports the results.
//
// # Results
//
// A finished task's result (its output, or why it failed) is written to an
// outbox in the state dir, synced to disk, before it is sent, and stays
// there until Hive answers for good: it took the result (also "already
// recorded": results are idempotent), or the task is no longer the agent's
// (404 or 409: finished, cancelled, taken away, reassigned). While Hive is
// unreachable or unavailable the worker tries again, waiting ReportBackoff
// at first and doubling up to MaxReportBackoff, with jitter; a task whose
// result waits is not run again. A completion whose output Hive refuses as
// invalid becomes a failure saying why. At start the worker first sends
// what its outbox holds, so that neither a restart of Hive nor one of the
// worker loses a result. One worker at a time may use a state dir
// (ErrStateDirInUse).
//
// # Goroutines
//
// Run owns every goroutine it starts: the heartbeat loop, one goroutine per
// running task and one per result being delivered; all have stopped when
// Run returns.
//
// # Draining
//
// When Run's context ends, the worker drains: it takes no new task, asks
// Hive to drain the agent, lets the running tasks finish (each within its
// timeout; one taken away meanwhile is stopped), waits up to ReportTimeout
// for Hive to take their results, and deregisters the agent, so that its
// name is free and a task assigned in the last moment goes to another
// member. A worker restarted under the same name registers again. A token
// that may not deregister (an agent token) leaves the agent draining: Hive
// assigns it nothing until an operator deregisters it. If results are
// still unreported, the agent is not deregistered (that would take their
// tasks away), they stay in the outbox for the next start, and Run returns
// ErrResultsKept.
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"hive/http/client"
)

// Runner does one task and returns its output (JSON), or why it could not.
// It must stop when ctx ends.
type Runner interface {
	Run(ctx context.Context, agentID string, a client.Assignment) (json.RawMessage, error)
}

// Failure is a Runner's error that says whether trying again may help; any
// other error is retryable.
type Failure struct {
	Reason    string
	Retryable bool
}

// Error returns the failure's reason.
func (f *Failure) Error() string { return f.Reason }

// API is the part of Hive's client the worker uses.
type API interface {
	Register(ctx context.Context, r client.Registration) (client.Agent, error)
	JoinSwarm(ctx context.Context, swarmID, agentID string) error
	Heartbeat(ctx context.Context, id string) error
	Assignments(ctx context.Context, agentID string, wait time.Duration, after uint64) (client.Work, error)
	Complete(ctx context.Context, taskID string, r client.Result) error
	Fail(ctx context.Context, taskID string, f client.Failure) error
	Drain(ctx context.Context, id, reason string) error
	Deregister(ctx context.Context, id, reason string) error
}

// Config configures a worker.
type Config struct {
	Name         string
	Capabilities []string
	Labels       map[string]string
	// MaxConcurrency is how many tasks run at once (default 1).
	MaxConcurrency int
	// SwarmID, if set, is a swarm the agent joins.
	SwarmID string
	// Timeout bounds each task (default 10m).
	Timeout time.Duration
	// PollWait is how long one assignments poll waits (default 30s, at
	// most client.MaxWait).
	PollWait time.Duration
	// HeartbeatInterval is how often the worker heartbeats while tasks
	// run (default 5s); polls heartbeat too.
	HeartbeatInterval time.Duration
	// ReportTimeout bounds one try at reporting a result, the drain's
	// calls, and how long the drain waits for results to be taken
	// (default 30s).
	ReportTimeout time.Duration
	// ReportBackoff is the first wait before a result is sent again
	// (default 1s); each later wait doubles, up to MaxReportBackoff
	// (default 30s).
	ReportBackoff, MaxReportBackoff time.Duration
	// StateDir keeps what must outlive the process: the outbox of results
	// Hive has not taken yet (required).
	StateDir string
	// Server names the Hive the worker works for: results kept for
	// another are not sent to this one.
	Server string
}

func (c *Config) setDefaults() {
	if c.MaxConcurrency == 0 {
		c.MaxConcurrency = 1
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Minute
	}
	if c.PollWait == 0 {
		c.PollWait = 30 * time.Second
	}
	if c.HeartbeatInterval == 0 {
		c.HeartbeatInterval = 5 * time.Second
	}
	if c.ReportTimeout == 0 {
		c.ReportTimeout = 30 * time.Second
	}
	if c.ReportBackoff == 0 {
		c.ReportBackoff = time.Second
	}
	if c.MaxReportBackoff == 0 {
		c.MaxReportBackoff = 30 * time.Second
	}
}

// Validate reports every invalid setting.
func (c Config) Validate() error {
	var errs []error
	if c.Name == "" {
		errs = append(errs, errors.New("worker: Name is required"))
	}
	if len(c.Capabilities) == 0 {
		errs = append(errs, errors.New("worker: at least one capability is required"))
	}
	if c.MaxConcurrency < 1 {
		errs = append(errs, errors.New("worker: MaxConcurrency must be at least 1"))
	}
	if c.Timeout <= 0 || c.HeartbeatInterval <= 0 || c.ReportTimeout <= 0 {
		errs = append(errs, errors.New("worker: Timeout, HeartbeatInterval and ReportTimeout must be positive"))
	}
	if c.ReportBackoff <= 0 || c.MaxReportBackoff < c.ReportBackoff {
		errs = append(errs, errors.New("worker: ReportBackoff must be positive and at most MaxReportBackoff"))
	}
	if c.StateDir == "" {
		errs = append(errs, errors.New("worker: StateDir is required"))
	}
	if c.PollWait <= 0 || c.PollWait > client.MaxWait {
		errs = append(errs, fmt.Errorf("worker: PollWait must be positive and at most %s", client.MaxWait))
	}
	return errors.Join(errs...)
}

// Worker runs an agent's tasks.
type Worker struct {
	cfg    Config
	api    API
	runner Runner
	logger *slog.Logger

	mu      sync.Mutex
	running map[string]context.CancelCauseFunc // by task id
	done    map[string]int                     // task id → attempt finished here, until Hive stops listing it and its result is delivered
	pending map[string]delivery                // by task id: results being delivered
	freed   chan struct{}                      // a task ended
	settled chan struct{}                      // a delivery ended
	tasks   sync.WaitGroup
	reports sync.WaitGroup
	// box is the outbox, open while Run runs.
	box *outbox
}

// New returns a worker for cfg.
func New(cfg Config, api API, runner Runner, logger *slog.Logger) (*Worker, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Worker{cfg: cfg, api: api, runner: runner, logger: logger,
		running: map[string]context.CancelCauseFunc{}, done: map[string]int{}, pending: map[string]delivery{},
		freed: make(chan struct{}, 1), settled: make(chan struct{}, 1)}, nil
}

// ErrResultsKept is returned by Run when it stops with results Hive has not
// taken: they stay in the outbox and are sent at the next start.
var ErrResultsKept = errors.New("worker: results not yet taken by Hive are kept in the outbox")

// Run sends the results its outbox holds, registers or resumes the agent
// and runs its tasks until ctx ends, then drains (see the package
// documentation). It returns nil after a clean drain.
func (w *Worker) Run(ctx context.Context) error {
	box, held, err := openOutbox(w.cfg.StateDir)
	if err != nil {
		return err
	}
	defer box.close()
	w.box = box
	// Tasks and results outlive ctx: draining lets them finish.
	life, stop := context.WithCancel(context.WithoutCancel(ctx))
	defer w.reports.Wait()
	defer stop()
	if err := w.resend(life, held); err != nil {
		return err
	}
	agent, err := w.api.Register(ctx, client.Registration{Name: w.cfg.Name, Capabilities: w.cfg.Capabilities,
		Labels: w.cfg.Labels, MaxConcurrency: w.cfg.MaxConcurrency})
	if err != nil {
		return fmt.Errorf("register agent %q: %w", w.cfg.Name, err)
	}
	w.logger.Info("agent ready", "agent", agent.ID, "name", agent.Name, "status", agent.Status)
	if agent.Status == "draining" {
		w.logger.Warn("the agent is draining: Hive assigns it nothing new; deregister it to start afresh", "agent", agent.ID)
	}
	if w.cfg.SwarmID != "" {
		if err := w.api.JoinSwarm(ctx, w.cfg.SwarmID, agent.ID); err != nil {
			return fmt.Errorf("join swarm %s: %w", w.cfg.SwarmID, err)
		}
	}
	var beats sync.WaitGroup
	beats.Go(func() { w.heartbeat(life, agent.ID) })
	defer beats.Wait()
	defer stop()
	err = w.poll(ctx, life, agent.ID, true)
	if err == nil {
		err = w.drain(life, agent.ID)
	}
	w.tasks.Wait()
	return err
}

// resend delivers the results the outbox held at start, and marks their
// tasks done so that they are not run again.
func (w *Worker) resend(ctx context.Context, held []report) error {
	for _, r := range held {
		if r.Server != w.cfg.Server {
			return fmt.Errorf("worker: the outbox in %s holds a result of task %s for %s, not %s: run the worker against that server, or give it another state dir",
				w.cfg.StateDir, r.TaskID, r.Server, w.cfg.Server)
		}
	}
	if len(held) > 0 {
		w.logger.Info("sending the results kept in the outbox", "results", len(held))
	}
	for _, r := range held {
		w.mu.Lock()
		w.done[r.TaskID] = max(w.done[r.TaskID], r.Attempt)
		w.mu.Unlock()
		w.deliverInBackground(ctx, r)
	}
	return nil
}

// poll takes assignments until ctx ends (taking new ones if take) or no
// task runs (if not), stopping tasks taken away. The tasks, and the
// delivery of their results, run in tasks.
func (w *Worker) poll(ctx, tasks context.Context, agentID string, take bool) error {
	var cursor uint64
	for ctx.Err() == nil && (take || w.busy()) {
		work, err := w.api.Assignments(ctx, agentID, w.cfg.PollWait, cursor)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			if s := client.StatusOf(err); s == http.StatusNotFound || s == http.StatusConflict || s == http.StatusUnauthorized || s == http.StatusForbidden {
				return fmt.Errorf("poll assignments: %w", err)
			}
			w.logger.Warn("poll assignments", "err", err)
			sleep(ctx, time.Second)
			continue
		}
		cursor = work.Cursor
		if skipped := w.apply(tasks, agentID, work, take); skipped > 0 {
			cursor = min(cursor, skipped-1)
			w.awaitSlot(ctx)
		}
	}
	return nil
}

// apply stops the tasks taken away and starts the new ones; it returns the
// position of the first one it could not start for want of a slot, or 0.
// The tasks, and the delivery of their results, run in tasks.
func (w *Worker) apply(tasks context.Context, agentID string, work client.Work, take bool) uint64 {
	listed := map[string]bool{}
	for _, a := range work.Assignments {
		listed[a.TaskID] = true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range work.Cancelled {
		if cancel, ok := w.running[r.TaskID]; ok {
			w.logger.Info("task taken away", "task", r.TaskID, "cause", r.Cause, "reason", r.Reason)
			cancel(errTakenAway)
		}
	}
	for id, cancel := range w.running {
		if !listed[id] {
			cancel(errTakenAway) // no longer the agent's
		}
	}
	for id := range w.done {
		if _, reporting := w.pending[id]; !listed[id] && !reporting {
			delete(w.done, id)
		}
	}
	for _, a := range work.Assignments {
		if d, ok := w.pending[a.TaskID]; ok && a.Attempt > d.attempt {
			d.cancel(errSuperseded)
		}
	}
	var skipped uint64
	for _, a := range work.Assignments {
		_, runs := w.running[a.TaskID]
		if runs || w.done[a.TaskID] >= a.Attempt || !take {
			continue
		}
		if len(w.running) >= w.cfg.MaxConcurrency {
			if skipped == 0 {
				skipped = a.Position
			}
			continue
		}
		taskCtx, cancel := context.WithCancelCause(tasks)
		w.running[a.TaskID] = cancel
		w.tasks.Go(func() {
			defer cancel(nil)
			if r, ok := w.do(taskCtx, agentID, a); ok {
				w.keep(tasks, r)
			}
			w.ended(a)
		})
	}
	return skipped
}

// Why a task's context ended.
var (
	errTakenAway = errors.New("the task was taken away")
	errTimedOut  = errors.New("the task timed out")
)

func (w *Worker) busy() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.running) > 0
}

// awaitSlot waits until a task ends or ctx ends.
func (w *Worker) awaitSlot(ctx context.Context) {
	select {
	case <-w.freed:
	case <-ctx.Done():
	}
}

// do runs one task and returns its report, unless it was taken away.
func (w *Worker) do(ctx context.Context, agentID string, a client.Assignment) (report, bool) {
	log := w.logger.With("task", a.TaskID, "attempt", a.Attempt, "step", a.StepID)
	log.Info("task started")
	runCtx, stop := context.WithTimeoutCause(ctx, w.cfg.Timeout, errTimedOut)
	out, err := w.runner.Run(runCtx, agentID, a)
	stop()
	switch cause := context.Cause(runCtx); {
	case errors.Is(cause, errTakenAway):
		log.Info("task stopped: taken away")
		return report{}, false
	case errors.Is(cause, errTimedOut):
		err = &Failure{Reason: fmt.Sprintf("timed out after %s", w.cfg.Timeout), Retryable: true}
	}
	return reportOf(w.cfg.Server, agentID, a, out, err), true
}

// ended frees a's slot and remembers that its attempt ran here.
func (w *Worker) ended(a client.Assignment) {
	w.mu.Lock()
	delete(w.running, a.TaskID)
	w.done[a.TaskID] = a.Attempt
	w.mu.Unlock()
	select {
	case w.freed <- struct{}{}:
	default:
	}
}

// heartbeat beats every HeartbeatInterval while tasks run, until ctx ends.
func (w *Worker) heartbeat(ctx context.Context, agentID string) {
	t := time.NewTicker(w.cfg.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if !w.busy() && w.unreported() == 0 {
			continue
		}
		if err := w.api.Heartbeat(ctx, agentID); err != nil && ctx.Err() == nil {
			w.logger.Warn("heartbeat", "err", err)
		}
	}
}

// drain asks Hive to drain the agent, waits for the running tasks while
// still stopping those taken away, waits for Hive to take their results,
// and deregisters the agent.
func (w *Worker) drain(ctx context.Context, agentID string) error {
	w.logger.Info("draining", "agent", agentID)
	call, cancel := context.WithTimeout(ctx, w.cfg.ReportTimeout)
	defer cancel()
	if err := w.api.Drain(call, agentID, "worker stopping"); err != nil {
		w.logger.Warn("drain agent", "err", err)
	}
	// Keep learning of tasks taken away until the last one ends.
	polling, stopPolling := context.WithCancel(ctx)
	var watcher sync.WaitGroup
	watcher.Go(func() { w.tasks.Wait(); stopPolling() })
	err := w.poll(polling, ctx, agentID, false)
	stopPolling()
	watcher.Wait()
	if err != nil {
		return err
	}
	if n := w.flush(ctx); n > 0 {
		return fmt.Errorf("%w: %d in %s, sent when the worker starts again; the agent stays registered", ErrResultsKept, n, w.cfg.StateDir)
	}
	call, cancel = context.WithTimeout(ctx, w.cfg.ReportTimeout)
	defer cancel()
	switch err := w.api.Deregister(call, agentID, "worker stopped"); {
	case client.StatusOf(err) == http.StatusForbidden:
		w.logger.Info("the agent stays draining: this token may not deregister it; an operator may", "agent", agentID)
	case err != nil:
		return fmt.Errorf("deregister agent: %w", err)
	}
	w.logger.Info("drained", "agent", agentID)
	return nil
}

func sleep(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}
