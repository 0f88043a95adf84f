package swarm

import (
	"fmt"
	"slices"
	"time"

	"hive/actors/decision"
	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// CompleteTask reports the result of a task from the agent it is assigned
// to. A result the agent already reported is ignored.
type CompleteTask struct {
	TaskID, AgentID string
	// Output is the task's result (JSON), at most decision.MaxJSONBytes; optional.
	Output []byte
	// Usage is what the work consumed; it counts against the budget.
	Usage ledger.Usage
	// AddSteps are steps to add to the task's workflow run (JSON, at most
	// decision.MaxJSONBytes), passed through to the run; optional.
	AddSteps []byte
	At       time.Time
}

// CommandName implements the runtime's command naming.
func (CompleteTask) CommandName() string { return "CompleteTask" }

// Validate checks the command on its own, before it reaches the entity.
func (c CompleteTask) Validate() error {
	var f decision.Fields
	checkTaskID(&f, c.TaskID)
	checkUUID(&f, "agent_id", c.AgentID, true)
	checkJSON(&f, "output", c.Output)
	c.Usage.Validate(&f, "usage")
	checkJSON(&f, "add_steps", c.AddSteps)
	checkAddedSteps(&f, c.AddSteps)
	checkAt(&f, "at", c.At)
	return f.Err()
}

// FailTask reports that the agent a task is assigned to could not do it.
// The task is retried if Retryable and attempts remain; otherwise it fails
// for good. A failure the agent already reported is ignored.
type FailTask struct {
	TaskID, AgentID, Reason string
	Retryable               bool
	At                      time.Time
}

// CommandName implements the runtime's command naming.
func (FailTask) CommandName() string { return "FailTask" }

// Validate checks the command on its own, before it reaches the entity.
func (c FailTask) Validate() error {
	var f decision.Fields
	checkTaskID(&f, c.TaskID)
	checkUUID(&f, "agent_id", c.AgentID, true)
	checkReason(&f, c.Reason)
	checkAt(&f, "at", c.At)
	return f.Err()
}

func checkTaskID(f *decision.Fields, id string) {
	if _, _, err := ParseTaskID(id); err != nil {
		f.Add("task_id", decision.Quote(id)+" is not a task id (<swarm id>.<sequence number>)")
	}
}

// taskFor returns the unfinished task taskID, or what the swarm remembers
// of it if it finished.
func (s *State) taskFor(taskID string) (*task, finished, error) {
	if err := s.created(); err != nil {
		return nil, finished{}, err
	}
	swarmID, seq, _ := ParseTaskID(taskID)
	if swarmID != s.id || seq > s.lastSeq {
		return nil, finished{}, fmt.Errorf("%w: %s", ErrTaskNotFound, taskID)
	}
	if t, ok := s.tasks.get(seq); ok {
		return t, finished{}, nil
	}
	if f, ok := s.finished.get(seq); ok {
		return nil, f, nil
	}
	return nil, finished{}, fmt.Errorf("%w: %s finished long ago", ErrTaskFinished, taskID)
}

// notAssigned explains why an unfinished task is not the agent's to
// report on.
func notAssigned(t *task, taskID, agentID string) error {
	if t.status == TaskStatusAssigned {
		return fmt.Errorf("%w: %s is assigned to agent %s, not %s", ErrNotAssigned, taskID, t.agent, agentID)
	}
	return fmt.Errorf("%w: %s is %s, not assigned", ErrNotAssigned, taskID, t.status)
}

// finishedError explains why a finished task takes no more results.
func finishedError(f finished, taskID string) error {
	if f.outcome == TaskStatusCancelled {
		return fmt.Errorf("%w (%s)", ErrTaskCancelled, taskID)
	}
	return fmt.Errorf("%w: %s %s", ErrTaskFinished, taskID, f.outcome)
}

func (s *State) completeTask(c CompleteTask) error {
	if err := c.Validate(); err != nil {
		return err
	}
	t, fin, err := s.taskFor(c.TaskID)
	switch {
	case err != nil:
		return err
	case t == nil && fin.outcome == TaskStatusCompleted && fin.agent == c.AgentID:
		return nil
	case t == nil:
		return finishedError(fin, c.TaskID)
	case t.status != TaskStatusAssigned || t.agent != c.AgentID:
		return notAssigned(t, c.TaskID, c.AgentID)
	}
	var usage *hivev1.Usage
	if c.Usage != (ledger.Usage{}) {
		usage = c.Usage.Proto()
	}
	s.emit(&hivev1.TaskCompleted{
		SwarmId: s.id, TaskId: c.TaskID, AgentId: c.AgentID, RunId: t.runID, StepId: t.stepID, Key: t.key,
		Attempt: int32(t.attempt), Output: slices.Clone(c.Output), AddSteps: slices.Clone(c.AddSteps), Usage: usage,
		DurationNanos: max(c.At.Sub(t.assignedAt), 0).Nanoseconds(), AtUnixNano: nanos(c.At),
	})
	s.assign(c.At)
	return nil
}

func (s *State) failTask(c FailTask) error {
	if err := c.Validate(); err != nil {
		return err
	}
	t, fin, err := s.taskFor(c.TaskID)
	switch {
	case err != nil:
		return err
	case t == nil && fin.outcome == TaskStatusFailed && fin.agent == c.AgentID:
		return nil
	case t == nil:
		return finishedError(fin, c.TaskID)
	case t.status != TaskStatusAssigned && t.lastAgent == c.AgentID && t.lastCause == CauseFailed:
		return nil
	case t.status != TaskStatusAssigned || t.agent != c.AgentID:
		return notAssigned(t, c.TaskID, c.AgentID)
	}
	reason := c.Reason
	if reason == "" {
		reason = "the agent reported a failure"
	}
	s.endAssignment(t.seq, CauseFailed, reason, c.Retryable, c.At)
	s.assign(c.At)
	return nil
}

// applyCompleted applies a TaskCompleted.
func (s *State) applyCompleted(m *hivev1.TaskCompleted) {
	t := s.mutTask(seqOf(m.GetTaskId()))
	if t == nil {
		return
	}
	d := time.Duration(m.GetDurationNanos())
	s.setMember(t.agent, func(mb *member) {
		mb.completed++
		mb.totalDuration += d
		mb.restat()
	})
	s.unassign(t, "")
	s.counts.completed++
	s.counts.completedDuration += d
	s.spent = s.spent.Add(ledger.FromProto(m.GetUsage()))
	s.spentForRun(t.runID, ledger.FromProto(m.GetUsage()))
	s.finish(t, TaskStatusCompleted, m.GetAgentId())
}
