package swarm

import (
	"fmt"

	"hive/actors/decision"
)

// Errors of the swarm's decisions. Each wraps one of decision's sentinels,
// which the HTTP layer maps to a status.
var (
	// ErrSwarmNotFound: the swarm was never created.
	ErrSwarmNotFound = fmt.Errorf("%w: swarm not found", decision.ErrNotFound)
	// ErrAlreadyExists: a swarm with that name exists.
	ErrAlreadyExists = fmt.Errorf("%w: swarm name already taken", decision.ErrConflict)
	// ErrSwarmFull: the swarm has MaxSize members.
	ErrSwarmFull = fmt.Errorf("%w: swarm is full", decision.ErrConflict)
	// ErrTaskNotFound: the swarm has no such task.
	ErrTaskNotFound = fmt.Errorf("%w: task not found", decision.ErrNotFound)
	// ErrNotAssigned: the task is not assigned to the agent reporting on it.
	ErrNotAssigned = fmt.Errorf("%w: task not assigned to this agent", decision.ErrConflict)
	// ErrTaskCancelled: the task was cancelled; a result is refused.
	ErrTaskCancelled = fmt.Errorf("%w: task was cancelled; its result is ignored", decision.ErrConflict)
	// ErrTaskFinished: the task already completed or failed.
	ErrTaskFinished = fmt.Errorf("%w: task already finished", decision.ErrConflict)
	// ErrProposalNotFound: the swarm has no such proposal.
	ErrProposalNotFound = fmt.Errorf("%w: proposal not found", decision.ErrNotFound)
	// ErrProposalClosed: the proposal was decided or its deadline passed.
	ErrProposalClosed = fmt.Errorf("%w: proposal closed", decision.ErrConflict)
	// ErrNotMember: the agent is not a member of the swarm.
	ErrNotMember = fmt.Errorf("%w: agent is not a member of the swarm", decision.ErrConflict)
	// ErrDissolved: the swarm was dissolved; it takes no members, tasks,
	// proposals, votes, budgets or settings.
	ErrDissolved = fmt.Errorf("%w: swarm dissolved", decision.ErrConflict)
	// ErrUnfinishedTasks: the swarm has unfinished tasks, which only a
	// forced dissolution cancels.
	ErrUnfinishedTasks = fmt.Errorf("%w: swarm has unfinished tasks", decision.ErrConflict)
	// ErrAlreadyVoted: the member voted for another option.
	ErrAlreadyVoted = fmt.Errorf("%w: member already voted", decision.ErrConflict)
)
