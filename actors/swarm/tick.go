package swarm

import (
	"fmt"
	"time"

	"hive/actors/decision"
)

// Tick decides what is due at Now: attempts past their deadline time out,
// tasks whose retry wait is over are queued again, proposals past their
// deadline are decided, and then tasks are assigned. The runtime sends it
// when one of the swarm's deadlines (see Deadlines) passes; a Tick with
// nothing due decides nothing.
type Tick struct{ Now time.Time }

// CommandName implements the runtime's command naming.
func (Tick) CommandName() string { return "TickSwarm" }

func (s *State) tick(c Tick) error {
	var f decision.Fields
	checkAt(&f, "now", c.Now)
	if err := f.Err(); err != nil {
		return err
	}
	if err := s.created(); err != nil {
		return err
	}
	due := func(at time.Time) bool { return !at.IsZero() && !c.Now.Before(at) }
	for _, seq := range s.taskSeqs(func(t *task) bool { return t.status == TaskStatusAssigned && due(t.deadline) }) {
		t, _ := s.tasks.get(seq)
		s.endAssignment(seq, CauseTimeout, fmt.Sprintf("no result within %s", t.deadline.Sub(t.assignedAt)), true, c.Now)
	}
	for _, seq := range s.taskSeqs(func(t *task) bool { return t.status == TaskStatusWaiting && due(t.retryAt) }) {
		s.requeue(seq, c.Now)
	}
	for _, p := range s.openProposals() {
		if due(p.deadline) {
			s.decide(p, c.Now, false)
		}
	}
	s.assign(c.Now)
	return nil
}
