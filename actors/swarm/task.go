package swarm

import (
	"strconv"
	"strings"
	"time"

	"hive/actors/decision"
)

// TaskStatus is a task's status. Completed, failed and cancelled are final.
type TaskStatus string

// Statuses of a task.
const (
	TaskStatusQueued    TaskStatus = "queued"
	TaskStatusWaiting   TaskStatus = "waiting"
	TaskStatusAssigned  TaskStatus = "assigned"
	TaskStatusCompleted TaskStatus = "completed"
	TaskStatusFailed    TaskStatus = "failed"
	TaskStatusCancelled TaskStatus = "cancelled"
)

// Causes of an assignment's end without a result.
const (
	CauseFailed    = "failed"
	CauseTimeout   = "timeout"
	CauseAgentLost = "agent_lost"
	CauseAgentLeft = "agent_left"
)

// task is an unfinished task.
type task struct {
	seq                uint64
	key, runID, stepID string
	capability         string
	input              []byte
	priority           int
	maxAttempts        int
	backoff, timeout   time.Duration
	planner            bool

	status TaskStatus
	// attempt is the number of attempts started.
	attempt int
	// agent is the member of the current attempt, if assigned.
	agent       string
	submittedAt time.Time
	queuedAt    time.Time
	assignedAt  time.Time
	deadline    time.Time
	retryAt     time.Time
	// lastAgent and lastCause tell how the previous attempt ended, so that
	// a failure reported again is recognized.
	lastAgent, lastCause string
	// correlation is the correlation id of the request that submitted
	// the task, which its later events keep (see CorrelationOf).
	correlation string
	// excluded are the members later attempts pass over (see
	// TaskAttemptFailed.exclude_agent). Drafts share it: append to a
	// clipped copy.
	excluded []exclusion
}

// exclusion is a member a task's later attempts pass over: its attempt
// ended without a result, by cause.
type exclusion struct {
	agent, cause string
	attempt      int
}

// excludes reports whether the task's later attempts pass over agentID.
func (t *task) excludes(agentID string) bool {
	for _, e := range t.excluded {
		if e.agent == agentID {
			return true
		}
	}
	return false
}

// finished is what a swarm remembers of a finished task.
type finished struct {
	key     string
	outcome TaskStatus
	agent   string
}

// TaskID returns the id of the task with sequence number seq in a swarm:
// "<swarmID>.<seq>".
func TaskID(swarmID string, seq uint64) string {
	return swarmID + "." + strconv.FormatUint(seq, 10)
}

// ParseTaskID returns the swarm and sequence number of a task id made by
// TaskID, so that a request about a task is routed to its swarm. A
// malformed id is an *decision.InvalidError naming "task_id".
func ParseTaskID(id string) (swarmID string, seq uint64, err error) {
	i := strings.LastIndexByte(id, '.')
	if i >= 0 {
		swarmID = id[:i]
		seq, err = strconv.ParseUint(id[i+1:], 10, 64)
	}
	if i < 0 || err != nil || seq == 0 || !isUUID(swarmID) || TaskID(swarmID, seq) != id {
		var f decision.Fields
		f.Add("task_id", decision.Quote(id)+" is not a task id (<swarm id>.<sequence number>)")
		return "", 0, f.Err()
	}
	return swarmID, seq, nil
}
