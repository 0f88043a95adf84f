package swarm

import "google.golang.org/protobuf/proto"

// CorrelationOf implements actors.Correlator: every event about a task
// after TaskQueued (its assignments, results, retries, cancellation)
// carries the correlation id of the request that submitted it, for a
// workflow step the run's, whoever sent the command that decided it (a
// worker's result, a tick, a member lost). The command's id stays the
// event's causation id. Other events carry the command's.
func (s *State) CorrelationOf(msg proto.Message) string {
	m, ok := msg.(interface{ GetTaskId() string })
	if !ok || m.GetTaskId() == "" {
		return ""
	}
	if t, ok := s.tasks.get(seqOf(m.GetTaskId())); ok {
		return t.correlation
	}
	return ""
}
