// Package workflow holds the decisions of the workflow run entity: a run of
// a DAG of steps. The run owns the DAG, each step's state and output,
// approvals, pause, resume and cancel, the steps planners add, and its usage
// ledger and budget. It does not assign work: a swarm entity queues,
// assigns, retries and times out tasks. A router turns the run's
// StepDispatched and RunCancelled events into the swarm's commands, and the
// swarm's events back into RecordAssignment, CompleteStep and FailStep.
//
// Its state is rebuilt from its events by Apply, and Decide is a pure
// function of that state and a command.
//
// # Router contract
//
//	run event          → swarm command
//	StepDispatched       submit task Key to SwarmId (Capability, Input,
//	                     Priority, MaxAttempts, BackoffNanos, TimeoutNanos,
//	                     and the run's budget and spending: RunBudget, RunSpent)
//	RunBudgetChanged     the run's new budget to SwarmId
//	RunCancelled         cancel TaskKeys on SwarmId
//
//	swarm event        → run command (run id from ParseTaskKey(key))
//	task assigned        RecordAssignment{Key, TaskID, AgentID, Attempt, At}
//	task completed       CompleteStep{Key, TaskID, AgentID, Output, Usage, AddSteps, At}
//	task failed for good FailStep{Key, TaskID, AgentID, Reason, Usage, At}
//
// At is when the swarm recorded what happened. RunFailed cancels nothing:
// tasks in flight finish and their results are recorded, so that RetryStep
// continues from them.
//
// # Correlation
//
// Every event of a run after RunStarted carries the correlation id of the
// request that started it (State is an actors.Correlator), so the router's
// commands to the swarm, and the swarm's events about the run's tasks,
// carry it too.
//
// # Budget
//
// A run's spending is the usage of its completed steps. A step is not
// dispatched once the spending reaches the budget, and a completion that
// makes it reach the budget while steps remain records RunBudgetExhausted
// (once), so the run is budget_exhausted; the swarm holds the run's queued
// tasks by the same count (see actors/swarm). RaiseBudget with a budget not
// spent makes the run running again and dispatches the held steps.
//
// # Timers
//
// Deadlines lists the timers an event sets or clears (approval timeouts);
// when one passes, the runtime sends Tick.
//
// # Idempotency
//
// The router re-sends commands after a crash. A command from the router
// names a task by its key "<run>/<step>/<generation>": a key of an older
// generation, or a result already recorded, decides nothing (no events, no
// error), and so do results that arrive after the run was cancelled.
// Pausing a paused run, resuming a running one, cancelling a cancelled one,
// approving an approved step and setting the budget it already has decide
// nothing either.
//
// # Scale
//
// A run holds at most decision.MaxSteps steps. Each step knows its dependents and how
// many of its dependencies are not completed, so that recording a completion
// costs in proportion to the step's dependents, not to the run. Pause,
// resume, retry, budget changes and Tick scan the run's steps once. View
// copies the whole run, in proportion to its steps and outputs.
package workflow

import (
	"encoding/json"
	"time"

	"hive/actors/ledger"
)

// Kind is the entity kind of workflow runs; a run's stream is
// "workflow-<run id>".
const Kind = "workflow"

// Status is a run's status.
type Status string

// Statuses of a run. Completed and cancelled are final; a failed run may be
// resumed by retrying its failed steps.
const (
	StatusNotStarted      Status = ""
	StatusRunning         Status = "running"
	StatusPaused          Status = "paused"
	StatusBudgetExhausted Status = "budget_exhausted"
	StatusCompleted       Status = "completed"
	StatusFailed          Status = "failed"
	StatusCancelled       Status = "cancelled"
)

// finished reports whether a run in status s takes no pause or resume.
func (s Status) finished() bool {
	return s == StatusCompleted || s == StatusFailed || s == StatusCancelled
}

// Ended reports whether a run in status s has come to rest: it goes no
// further unless an operator acts. Completed and cancelled runs are final,
// a failed one waits for its failed steps to be retried and a
// budget_exhausted one for its budget to be raised; a running run has not
// ended, nor has a paused one, whose pause is an operator's own hold.
func (s Status) Ended() bool {
	return s.finished() || s == StatusBudgetExhausted
}

// StepStatus is a step's status.
type StepStatus string

// Statuses of a step. A ready step is held back by a pause, the budget or a
// failed run.
const (
	StepPending          StepStatus = "pending"
	StepAwaitingApproval StepStatus = "awaiting_approval"
	StepReady            StepStatus = "ready"
	StepDispatched       StepStatus = "dispatched"
	StepAssigned         StepStatus = "assigned"
	StepCompleted        StepStatus = "completed"
	StepFailed           StepStatus = "failed"
	StepRejected         StepStatus = "rejected"
	StepCancelled        StepStatus = "cancelled"
)

// inFlight reports whether a step in status s has a task at the swarm.
func (s StepStatus) inFlight() bool { return s == StepDispatched || s == StepAssigned }

// Approval statuses of a step that needs approval.
const (
	approvalAwaiting  = "awaiting"
	approvalApproved  = "approved"
	approvalRejected  = "rejected"
	approvalCancelled = "cancelled"
)

// State is what Hive knows about one workflow run, rebuilt from its events.
// Use View for a copy to hand out.
type State struct {
	ID           string
	Name         string
	SwarmID      string
	Status       Status
	StatusReason string
	Budget       ledger.Budget
	Usage        ledger.Usage
	CreatedAt    time.Time
	StartedAt    time.Time
	FinishedAt   time.Time
	// CorrelationID is the correlation id of the request that started the
	// run: every later event of the run keeps it (see CorrelationOf).
	CorrelationID string
	// Version is the version of the run's stream this state reflects.
	Version uint64

	steps []*stepState   // in the order defined, then added
	index map[string]int // step id → position in steps
	done  int            // steps completed
	bad   int            // steps failed or rejected
	log   timeline
}

// stepState is one step of a run.
type stepState struct {
	def        Step
	status     StepStatus
	generation int
	key        string // the task key of generation
	attempt    int
	agentID    string
	taskID     string
	output     json.RawMessage
	usage      ledger.Usage
	err        string
	addedBy    string
	approval   approval
	readyAt    time.Time
	dispatched time.Time
	assigned   time.Time
	finished   time.Time
	// waiting is how many dependencies are not completed; dependents are
	// the positions of the steps that depend on this one.
	waiting    int
	dependents []int
}

// approval is the approval state of a step that needs one.
type approval struct {
	status      string
	requestedAt time.Time
	deadline    time.Time
	by          string
	comment     string
	decidedAt   time.Time
}

// Resting reports whether the run has ended (see Status.Ended): the
// runtime then passivates its actor at once (actors.Resting). What may
// still come (results of tasks a cancellation or failure left in flight,
// an operator's retry or budget) recovers it from its stream.
func (s *State) Resting() bool { return s.Status.Ended() }

// step returns the step with id, or nil.
func (s *State) step(id string) *stepState {
	if i, ok := s.index[id]; ok {
		return s.steps[i]
	}
	return nil
}
