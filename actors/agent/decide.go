package agent

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
)

// Decide returns the events that command c causes in state s, or why it is
// rejected. It does not change s: the runtime applies the events once they
// are durable.
func (s State) Decide(c any) ([]proto.Message, error) {
	switch c := c.(type) {
	case Register:
		return s.register(c)
	case Heartbeat:
		return s.heartbeat(c)
	case CheckLiveness:
		return s.checkLiveness(c)
	case Drain:
		return s.drain(c)
	case Deregister:
		return s.deregister(c)
	case JoinSwarm:
		return s.joinSwarm(c)
	case LeaveSwarm:
		return s.leaveSwarm(c)
	case StartTask:
		return s.startTask(c)
	case FinishTask:
		return s.finishTask(c)
	case ReportProgress:
		return s.reportProgress(c)
	default:
		return nil, fmt.Errorf("%w: agent cannot handle %T", decision.ErrInvalid, c)
	}
}
