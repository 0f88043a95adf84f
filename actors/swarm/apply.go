package swarm

import (
	"google.golang.org/protobuf/proto"

	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// apply evolves the state (or a draft) by one event; it reports false for
// an event it does not know. It reads nothing but the event: every time is
// in the event, so that replaying a history rebuilds the same state.
func (s *State) apply(msg proto.Message) bool {
	switch m := msg.(type) {
	case *hivev1.SwarmCreated:
		s.applyCreated(m)
	case *hivev1.TaskQueued:
		s.applyQueued(m)
	case *hivev1.TaskAssigned:
		s.applyAssigned(m)
	case *hivev1.TaskCompleted:
		s.applyCompleted(m)
	case *hivev1.SwarmRunPaused:
		s.paused.set(m.GetRunId(), struct{}{})
	case *hivev1.SwarmRunResumed:
		s.paused.del(m.GetRunId())
	case *hivev1.SwarmBudgetExhausted:
		s.exhausted = true
	case *hivev1.SwarmBudgetChanged:
		s.budget, s.exhausted = ledger.BudgetFromProto(m.GetBudget()), false
	case *hivev1.SwarmSettingsChanged:
		s.applySettingsChanged(m)
	case *hivev1.SwarmDissolved:
		s.applyDissolved(m)
	default:
		if !s.applyMember(msg) && !s.applyEnding(msg) && !s.applyProposal(msg) && !s.applyRunBudget(msg) {
			return false
		}
	}
	if e, ok := msg.(interface{ GetAtUnixNano() int64 }); ok && e.GetAtUnixNano() > nanos(s.clock) {
		s.clock = unixNano(e.GetAtUnixNano())
	}
	s.forgetOld()
	return true
}
