package agent

import "google.golang.org/protobuf/proto"

// CorrelationOf implements actors.Correlator: the agent's events about a
// task in flight (its progress notes, its end) carry the correlation id of
// the task's assignment, the run's for a workflow step, though the agent
// reports progress in requests of its own. The command's id stays the
// event's causation id. Other events carry the command's.
func (s *State) CorrelationOf(msg proto.Message) string {
	if m, ok := msg.(interface{ GetTaskId() string }); ok {
		return s.Tasks[m.GetTaskId()].CorrelationID
	}
	return ""
}
