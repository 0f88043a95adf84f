package swarm

import (
	"fmt"
	"time"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// Dissolve ends the swarm: its members leave, its open proposals close
// without an outcome, and it takes no members, tasks, proposals, votes,
// budgets or settings any more. A swarm with unfinished tasks is dissolved
// only with Force, which cancels them (a run's step then fails); without it
// the command is refused with ErrUnfinishedTasks. Dissolving a dissolved
// swarm decides nothing.
type Dissolve struct {
	// Reason is why, recorded with every event of the dissolution.
	Reason string
	Force  bool
	At     time.Time
}

// CommandName implements the runtime's command naming.
func (Dissolve) CommandName() string { return "DissolveSwarm" }

// Validate checks the command on its own, before it reaches the entity.
func (c Dissolve) Validate() error {
	var f decision.Fields
	checkReason(&f, c.Reason)
	checkAt(&f, "at", c.At)
	return f.Err()
}

func (s *State) dissolve(c Dissolve) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.created(); err != nil {
		return err
	}
	seqs := s.taskSeqs(func(*task) bool { return true })
	if len(seqs) > 0 && !c.Force {
		return fmt.Errorf("%w: %s has %d unfinished tasks; dissolve it with force to cancel them", ErrUnfinishedTasks, s.id, len(seqs))
	}
	reason := "swarm dissolved"
	if c.Reason != "" {
		reason += ": " + c.Reason
	}
	for _, seq := range seqs {
		t, _ := s.tasks.get(seq)
		s.emit(&hivev1.TaskCancelled{
			SwarmId: s.id, TaskId: TaskID(s.id, seq), AgentId: t.agent, RunId: t.runID, StepId: t.stepID, Key: t.key,
			Attempt: int32(t.attempt), Reason: reason, AtUnixNano: nanos(c.At), SwarmDissolved: true,
		})
	}
	open := s.openProposals()
	for _, p := range open {
		s.emit(decided(s.id, p, tally(p), "", reason, s.electorate(), true, c.At))
	}
	members := make([]string, len(s.members))
	for i, m := range s.members {
		members[i] = m.id
	}
	for _, id := range members {
		s.emit(&hivev1.SwarmMemberLeft{SwarmId: s.id, AgentId: id, Reason: reason, AtUnixNano: nanos(c.At), Dissolved: true})
	}
	s.emit(&hivev1.SwarmDissolved{SwarmId: s.id, Reason: c.Reason, Forced: len(seqs) > 0, MembersLeft: uint32(len(members)),
		TasksCancelled: uint32(len(seqs)), ProposalsClosed: uint32(len(open)), AtUnixNano: nanos(c.At)})
	return nil
}

// onDissolved decides c on a dissolved swarm, if a dissolved swarm decides
// it otherwise than a live one: it refuses what would give it members,
// work, proposals, votes, budgets or settings, and ignores runs paused or
// resumed and another dissolution. It reports whether it decided c.
func (s *State) onDissolved(c any) (bool, error) {
	switch c := c.(type) {
	case Dissolve:
		return true, c.Validate()
	case PauseRun, ResumeRun:
		return true, nil
	case AddMember, SubmitTask, Propose, Vote, RaiseBudget, UpdateSettings:
		return true, fmt.Errorf("%w: %s was dissolved at %s", ErrDissolved, s.id, s.dissolvedAt.Format(time.RFC3339))
	}
	return false, nil
}

func (s *State) applyDissolved(m *hivev1.SwarmDissolved) {
	s.dissolvedAt, s.dissolveReason = unixNano(m.GetAtUnixNano()), m.GetReason()
	s.leader, s.cursor = "", ""
}
