package swarm

import (
	"fmt"
	"slices"
	"time"

	"hive/actors/decision"
	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// SubmitTask queues a task for the swarm's members. The swarm assigns its
// id, TaskID(swarm, seq). A task submitted under a Key the swarm knows
// (unfinished or recently finished) is not queued again.
type SubmitTask struct {
	// Key is an optional idempotency key, e.g. a workflow step's
	// "<run_id>/<step_id>/<generation>".
	Key string
	// RunID and StepID name the workflow step the task does, if any.
	RunID, StepID string
	// Capability is the capability a member needs; "" is any.
	Capability string
	// Input is the task's input (JSON), at most decision.MaxJSONBytes; optional.
	Input []byte
	// Priority is 0 (lowest) to MaxPriority.
	Priority int
	// MaxAttempts is 1 to 100; 0 means 1.
	MaxAttempts int
	// Backoff is the wait before the first retry, doubled for each later
	// one, at most MaxRetryWait.
	Backoff time.Duration
	// Timeout is how long one attempt may run; 0 is the swarm's default
	// (Config.TaskTimeout).
	Timeout time.Duration
	// Planner marks a planning task (see Hierarchical).
	Planner bool
	// RunBudget and RunSpent are the budget of the task's run and what
	// the run had spent when it dispatched the task, by the run's event of
	// version RunVersion: the swarm holds the run's queued tasks once its
	// spending reaches its budget (see SetRunBudget).
	RunBudget  ledger.Budget
	RunSpent   ledger.Usage
	RunVersion uint64
	At         time.Time
}

// CommandName implements the runtime's command naming.
func (SubmitTask) CommandName() string { return "SubmitTask" }

// Validate checks the command on its own, before it reaches the entity.
func (c SubmitTask) Validate() error {
	var f decision.Fields
	f.Text("key", c.Key, decision.MaxKeyLength, false)
	f.Text("run_id", c.RunID, decision.MaxKeyLength, false)
	f.Text("step_id", c.StepID, decision.MaxKeyLength, false)
	if c.Capability != "" {
		f.Token("capability", c.Capability, decision.MaxCapabilityLength)
	}
	checkJSON(&f, "input", c.Input)
	if c.Priority < 0 || c.Priority > MaxPriority {
		f.Add("priority", fmt.Sprintf("must be between 0 and %d", MaxPriority))
	}
	if c.MaxAttempts < 0 || c.MaxAttempts > MaxAttempts {
		f.Add("max_attempts", fmt.Sprintf("must be between 1 and %d (0 means 1)", MaxAttempts))
	}
	if c.Backoff < 0 || c.Backoff > MaxRetryWait {
		f.Add("backoff", fmt.Sprintf("must be between 0 and %s", MaxRetryWait))
	}
	if c.Timeout < 0 || c.Timeout > MaxTimeout {
		f.Add("timeout", fmt.Sprintf("must be between 0 (the server's default) and %s", MaxTimeout))
	}
	c.RunBudget.Validate(&f, "run_budget")
	if u := c.RunSpent; u.InputTokens < 0 || u.OutputTokens < 0 || u.CostMicros < 0 {
		f.Add("run_spent", "must not be negative")
	}
	checkAt(&f, "at", c.At)
	return f.Err()
}

func (s *State) submitTask(c SubmitTask) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.created(); err != nil {
		return err
	}
	if c.Key != "" && s.keys.has(c.Key) {
		return nil
	}
	seq := s.lastSeq + 1
	q := &hivev1.TaskQueued{
		SwarmId: s.id, TaskId: TaskID(s.id, seq), Seq: seq, Key: c.Key, RunId: c.RunID, StepId: c.StepID,
		Capability: c.Capability, Input: slices.Clone(c.Input), Priority: int32(c.Priority),
		MaxAttempts: int32(max(c.MaxAttempts, 1)), BackoffNanos: int64(c.Backoff), TimeoutNanos: int64(c.Timeout),
		Planner: c.Planner, AtUnixNano: nanos(c.At),
	}
	if c.RunID != "" && c.RunVersion > 0 {
		q.RunBudget, q.RunSpent, q.RunVersion = c.RunBudget.Proto(), c.RunSpent.Proto(), c.RunVersion
	}
	s.emit(q)
	s.assign(c.At)
	return nil
}

func (s *State) applyQueued(m *hivev1.TaskQueued) {
	at := unixNano(m.GetAtUnixNano())
	t := &task{
		seq: m.GetSeq(), key: m.GetKey(), runID: m.GetRunId(), stepID: m.GetStepId(), capability: m.GetCapability(),
		input: m.GetInput(), priority: int(m.GetPriority()), maxAttempts: int(m.GetMaxAttempts()),
		backoff: time.Duration(m.GetBackoffNanos()), timeout: time.Duration(m.GetTimeoutNanos()), planner: m.GetPlanner(),
		status: TaskStatusQueued, submittedAt: at, queuedAt: at,
	}
	s.lastSeq = max(s.lastSeq, t.seq)
	s.tasks.set(t.seq, t)
	if t.key != "" {
		s.keys.set(t.key, t.seq)
	}
	if t.runID != "" {
		s.queuedForRun(m)
	}
	s.enqueue(t)
}
