package swarm

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

var _ actors.Recaller = (*State)(nil)

// recall is where the memory a snapshot left out is recalled from: the
// versions of the events that ended the oldest finished task and decided
// proposal it remembered (0: none).
type recall struct {
	tasksFrom, proposalsFrom uint64
}

// from is the first version to recall, 0 if none.
func (r recall) from() uint64 {
	if r.tasksFrom == 0 || r.proposalsFrom == 0 {
		return max(r.tasksFrom, r.proposalsFrom)
	}
	return min(r.tasksFrom, r.proposalsFrom)
}

// RecallFrom is the version of the first event Recall must be handed after
// Restore, to rebuild the memory of recently finished tasks and decided
// proposals that the snapshot left out; 0 if there is none to rebuild.
func (s *State) RecallFrom() uint64 { return s.recall.from() }

// Recall rebuilds the memory of finished tasks and decided proposals from
// one of the events from RecallFrom up to the snapshot's version, handed
// in order: it remembers the tasks and proposals that ended from the
// oldest the swarm remembered on, which are the ones it remembered, in
// the same order, and nothing the snapshot holds depends on them.
func (s *State) Recall(env *events.Envelope, msg proto.Message) error {
	if s.recall.from() == 0 || env.Version < s.recall.from() || env.Version > s.version {
		return fmt.Errorf("swarm %s: recall of version %d, outside %d to %d", s.id, env.Version, s.recall.from(), s.version)
	}
	at := s.at
	s.at = env.Version
	switch m := msg.(type) {
	case *hivev1.TaskCompleted:
		s.recallTask(env.Version, m.GetTaskId(), m.GetKey(), TaskStatusCompleted, m.GetAgentId())
	case *hivev1.TaskFailed:
		s.recallTask(env.Version, m.GetTaskId(), m.GetKey(), TaskStatusFailed, m.GetAgentId())
	case *hivev1.TaskCancelled:
		s.recallTask(env.Version, m.GetTaskId(), m.GetKey(), TaskStatusCancelled, m.GetAgentId())
	case *hivev1.ProposalDecided:
		if s.recall.proposalsFrom != 0 && env.Version >= s.recall.proposalsFrom {
			s.applyProposal(m)
		}
	}
	s.at = at
	if env.Version == s.version {
		s.recall = recall{}
	}
	return nil
}

// recallTask remembers a task that ended at version at, and its key, if
// the memory held it.
func (s *State) recallTask(at uint64, taskID, key string, outcome TaskStatus, agent string) {
	if s.recall.tasksFrom == 0 || at < s.recall.tasksFrom {
		return
	}
	seq := seqOf(taskID)
	s.remember(seq, finished{key: key, outcome: outcome, agent: agent})
	if key != "" {
		s.keys.set(key, seq)
	}
}
