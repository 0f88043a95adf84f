package agent

import (
	"google.golang.org/protobuf/proto"

	"hive/actors"
	hivev1 "hive/proto/hive/v1"
)

// LivenessTimer is the key of an agent's liveness deadline.
const LivenessTimer = "liveness"

// Deadlines returns the timers an agent event sets or cancels: the liveness
// deadline, after which the agent's CheckLiveness decides it is lost.
func Deadlines(msg proto.Message) []actors.Deadline {
	switch m := msg.(type) {
	case *hivev1.AgentRegistered:
		return []actors.Deadline{{Key: LivenessTimer, At: unixNano(m.GetDeadlineUnixNano())}}
	case *hivev1.AgentHeartbeatExtended:
		return []actors.Deadline{{Key: LivenessTimer, At: unixNano(m.GetDeadlineUnixNano())}}
	case *hivev1.AgentRecovered:
		return []actors.Deadline{{Key: LivenessTimer, At: unixNano(m.GetDeadlineUnixNano())}}
	case *hivev1.AgentLost, *hivev1.AgentDeregistered:
		return []actors.Deadline{{Key: LivenessTimer}}
	}
	return nil
}
