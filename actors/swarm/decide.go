package swarm

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
)

// Decide returns the events that command c causes in state s, or why it is
// rejected. It does not change s: it decides on a draft of s, and the
// runtime applies the events once they are durable. Commands that change
// the queue or the capacity to work it end with the assignments they make
// possible.
func (s State) Decide(c any) ([]proto.Message, error) {
	d := s.draft()
	if err := d.decideOn(c); err != nil {
		return nil, err
	}
	return d.ov.out, nil
}

func (s *State) decideOn(c any) error {
	if !s.dissolvedAt.IsZero() {
		if done, err := s.onDissolved(c); done {
			return err
		}
	}
	switch c := c.(type) {
	case Create:
		return s.create(c)
	case AddMember:
		return s.addMember(c)
	case RemoveMember:
		return s.removeMember(c)
	case MemberLost:
		return s.memberLost(c)
	case MemberRecovered:
		return s.memberRecovered(c)
	case MemberDraining:
		return s.memberDraining(c)
	case SubmitTask:
		return s.submitTask(c)
	case CompleteTask:
		return s.completeTask(c)
	case FailTask:
		return s.failTask(c)
	case CancelRunTasks:
		return s.cancelRunTasks(c)
	case PauseRun:
		return s.pauseRun(c)
	case ResumeRun:
		return s.resumeRun(c)
	case RaiseBudget:
		return s.raiseBudget(c)
	case SetRunBudget:
		return s.setRunBudget(c)
	case Tick:
		return s.tick(c)
	case Propose:
		return s.propose(c)
	case Vote:
		return s.vote(c)
	case UpdateSettings:
		return s.updateSettings(c)
	case Dissolve:
		return s.dissolve(c)
	}
	return fmt.Errorf("%w: swarm cannot handle %T", decision.ErrInvalid, c)
}
