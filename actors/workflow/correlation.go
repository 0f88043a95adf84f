package workflow

import "google.golang.org/protobuf/proto"

// CorrelationOf implements actors.Correlator: every event of a started run
// carries the correlation id of the request that started it, whichever
// command decided it (a worker's result reaching the run through the
// router, an operator's approval, a timer). The command's id stays the
// event's causation id. RunStarted carries the starting command's own.
func (s *State) CorrelationOf(proto.Message) string { return s.CorrelationID }
