package swarm

import (
	"google.golang.org/protobuf/proto"

	"hive/actors"
	hivev1 "hive/proto/hive/v1"
)

// TaskTimer and ProposalTimer are the key prefixes of a swarm's timers:
// "task/<task id>" (an attempt's timeout or a retry's wait) and
// "proposal/<proposal id>" (a proposal's deadline). When one passes, the
// runtime sends the swarm a Tick.
const (
	TaskTimer     = "task/"
	ProposalTimer = "proposal/"
)

// Deadlines returns the timers a swarm event sets or cancels (a zero At
// cancels). Events that end or requeue a task cancel its timer unless they
// set a new one.
func Deadlines(msg proto.Message) []actors.Deadline {
	switch m := msg.(type) {
	case *hivev1.TaskAssigned:
		if m.GetDeadlineUnixNano() == 0 {
			return nil
		}
		return []actors.Deadline{{Key: TaskTimer + m.GetTaskId(), At: unixNano(m.GetDeadlineUnixNano())}}
	case *hivev1.TaskAttemptFailed:
		return []actors.Deadline{{Key: TaskTimer + m.GetTaskId(), At: unixNano(m.GetRetryAtUnixNano())}}
	case *hivev1.TaskRequeued:
		return []actors.Deadline{{Key: TaskTimer + m.GetTaskId()}}
	case *hivev1.TaskCompleted:
		return []actors.Deadline{{Key: TaskTimer + m.GetTaskId()}}
	case *hivev1.TaskFailed:
		return []actors.Deadline{{Key: TaskTimer + m.GetTaskId()}}
	case *hivev1.TaskCancelled:
		return []actors.Deadline{{Key: TaskTimer + m.GetTaskId()}}
	case *hivev1.ProposalOpened:
		return []actors.Deadline{{Key: ProposalTimer + m.GetProposalId(), At: unixNano(m.GetDeadlineUnixNano())}}
	case *hivev1.ProposalDecided:
		return []actors.Deadline{{Key: ProposalTimer + m.GetProposalId()}}
	}
	return nil
}
