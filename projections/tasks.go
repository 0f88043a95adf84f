package projections

import (
	"strings"

	"google.golang.org/protobuf/proto"

	hivev1 "hive/proto/hive/v1"
)

// taskPhase is where an unfinished task is.
type taskPhase uint8

// The phases of a task; a finished task has none and is forgotten.
const (
	phaseNone     taskPhase = iota
	phasePending            // queued, or waiting to be retried
	phaseAssigned           // assigned to an agent that has not started it
	phaseRunning            // started by its agent
)

// taskEntry is an unfinished task, as the queue and swarm views count it.
type taskEntry struct {
	Swarm      string    `json:"swarm_id"`
	Capability string    `json:"capability,omitempty"`
	Agent      string    `json:"agent_id,omitempty"`
	Phase      taskPhase `json:"phase"`
}

// taskTable is the unfinished tasks by id.
type taskTable map[string]*taskEntry

// isTaskEvent reports whether events of type typ move tasks between phases.
func isTaskEvent(typ string) bool {
	return strings.HasPrefix(typ, "hive.v1.Task") || typ == "hive.v1.AgentTaskStarted"
}

// move applies a task event. It returns the task as it is after the event
// and its phase before and after; from == to when the event moved nothing.
func (tt taskTable) move(msg proto.Message) (t taskEntry, from, to taskPhase) {
	if m, ok := msg.(*hivev1.TaskQueued); ok {
		if tt[m.GetTaskId()] != nil {
			return taskEntry{}, phaseNone, phaseNone
		}
		e := &taskEntry{Swarm: m.GetSwarmId(), Capability: m.GetCapability(), Phase: phasePending}
		tt[m.GetTaskId()] = e
		return *e, phaseNone, phasePending
	}
	id, ok := msg.(interface{ GetTaskId() string })
	if !ok {
		return taskEntry{}, phaseNone, phaseNone
	}
	e := tt[id.GetTaskId()]
	if e == nil {
		return taskEntry{}, phaseNone, phaseNone
	}
	from = e.Phase
	switch m := msg.(type) {
	case *hivev1.TaskAssigned:
		e.Phase, e.Agent = phaseAssigned, m.GetAgentId()
	case *hivev1.AgentTaskStarted:
		if e.Phase == phaseAssigned && e.Agent == m.GetAgentId() {
			e.Phase = phaseRunning
		}
	case *hivev1.TaskAttemptFailed, *hivev1.TaskRequeued:
		e.Phase, e.Agent = phasePending, ""
	case *hivev1.TaskCompleted, *hivev1.TaskFailed, *hivev1.TaskCancelled:
		e.Phase = phaseNone
		delete(tt, id.GetTaskId())
	}
	return *e, from, e.Phase
}

// TaskCounts counts unfinished tasks by phase.
type TaskCounts struct {
	// Pending tasks are queued, or wait to be retried.
	Pending int `json:"pending"`
	// Assigned tasks are assigned to an agent that has not started them.
	Assigned int `json:"assigned"`
	// Running tasks were started by their agent.
	Running int `json:"running"`
}

// add adds n tasks in phase p.
func (c *TaskCounts) add(p taskPhase, n int) {
	switch p {
	case phasePending:
		c.Pending += n
	case phaseAssigned:
		c.Assigned += n
	case phaseRunning:
		c.Running += n
	}
}

func (c TaskCounts) zero() bool { return c == TaskCounts{} }
