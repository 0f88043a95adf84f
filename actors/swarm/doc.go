// Package swarm holds the decisions of the swarm entity: a group of
// registered agents with a coordination topology. A swarm owns its task
// queue and the assignment decision, task retries and timeouts, its
// members' load and success statistics, its usage ledger and budget, and
// consensus proposals among its members.
//
// Its state is rebuilt from its events by Apply, and Decide is a pure
// function of that state and a command: every input of a decision, the
// current time included (the command's At, or Tick's Now), is in the state
// or the command. An audit tool can therefore replay a swarm's history and
// re-run its assignment decisions with other weights (see Score and
// State.WhatIf). A decision runs on a copy-on-write draft of the state that
// applies the decision's own events as they are decided, so that a command
// that frees capacity is followed, in the same decision, by the
// assignments it makes possible; the state decided on is not changed.
//
// # Life cycle
//
// A swarm is created under a unique name (its id is derived from it, see
// IDFor). Its status is "forming" while it has fewer members than its
// MinSize, "active" when it has enough, and "budget_exhausted" once its
// spending reached its budget while a task waited for an agent. Only an
// active swarm assigns tasks.
//
// UpdateSettings changes the topology, the weights, the size bounds and the
// leader (SwarmSettingsChanged, SwarmLeaderChanged), checked as at creation
// and against the members; assignments follow the new settings from then
// on. Dissolve ends the swarm: it needs Force while tasks are unfinished
// (they are then cancelled, TaskCancelled with swarm_dissolved, and a run's
// step fails by reaction), closes the open proposals without an outcome,
// makes every member leave (SwarmMemberLeft with dissolved: each agent is
// told to leave by reaction) and records SwarmDissolved. A dissolved swarm
// ("dissolved") refuses members, tasks, proposals, votes, budgets and
// settings with ErrDissolved, and ignores member news and runs paused or
// resumed; its name stays taken.
//
// # Assignment
//
// Assignment runs at the end of every command that can change the queue or
// the capacity to work it. It takes queued tasks in order and, for each,
// chooses one eligible member; tasks no member can take stay queued and the
// next one is tried, so a task needing a busy capability does not hold up
// the others.
//
// Queue order is effective priority, highest first, then age. A task's
// effective priority is its priority plus the time it has waited divided by
// AgingStep: a priority 0 task that has waited 9 AgingSteps ranks with a
// fresh priority 9 task, so nothing starves. Because every queued task ages
// at the same rate, that order never changes while tasks wait: it is the
// order of queuedAt − priority×AgingStep, which the queue keeps sorted.
// Tasks of paused runs and tasks waiting to be retried are not assigned.
//
// A member is eligible for a task if it is neither lost nor draining, has
// the task's capability (a task without one fits every member), and runs
// fewer tasks than its MaxConcurrency. Each eligible member is scored by
// Score, a weighted mean of four components between 0 and 1: capability
// fit (1/number of the member's capabilities: specialists are preferred,
// which keeps versatile members free for what only they can do), free
// capacity (1 − load/max), success rate ((completed+1)/(completed+failed+2),
// 0.5 for an agent without results) and speed (swarm mean/(swarm mean +
// member mean) of completed task durations, 0.5 while either is unknown).
//
// A member's completed and failed counts and durations are its agent's
// whole track record, not only its results in this swarm: the agent keeps
// its record (its AgentTaskFinished events, timed as the swarm measured
// them) and carries it into every swarm it joins (AgentJoinedSwarm.record,
// SwarmMemberJoined.record), so an agent that changes swarm is not scored
// as a newcomer. Results the agent had not yet recorded when it joined
// (the reactions to its last tasks still under way) stay with the swarm
// they were reached in.
//
// The topology decides among eligible members:
//
//   - mesh: the highest score wins; ties go to the earliest joined.
//   - ring: members take turns in join order, starting after the member
//     that got the previous task; the first eligible one wins.
//   - star: the hub (the leader) takes every task it is eligible for;
//     spokes get a task only when the hub is not eligible (full,
//     incapable, lost or draining, or not a member), then by score.
//   - hierarchical: the coordinator (the leader) takes the planning tasks
//     (SubmitTask.Planner) and nothing else; the other tasks go to the
//     other members by score. A planning task waits while the coordinator
//     is not eligible.
//
// A star or hierarchical swarm without a leader makes its first member its
// leader. When the leader leaves, the member after it in join order
// (wrapping around) leads; a lost leader stays leader.
//
// A retry prefers members that have not failed the task: a member an
// earlier attempt failed on, timed out on or was lost with (not one that
// left: see TaskAttemptFailed.exclude_agent) is passed over, by every
// topology, while another member is eligible. When none is, the exclusion
// is waived and the task goes back to the best of them (a hierarchical
// swarm's planning task to its coordinator, which alone may plan).
//
// TaskAssigned records the strategy in words, the weights, the best
// MaxRecordedCandidates candidates with their component scores (and the
// chosen member after them if it is not among them), how many others were
// scored, how many members were ineligible for each reason, and the
// members passed over as excluded (or that the exclusion was waived).
// Recording every candidate would write a thousand scores per assignment
// in a 1,000-member swarm; the state holds every input to re-score them
// all.
//
// # Retries and timeouts
//
// An assignment ends by completion (CompleteTask), failure (FailTask),
// timeout (Tick after its deadline), or its member being lost or leaving.
// Its deadline is the task's Timeout after the assignment, or, for a task
// without one, the server's default (Config.TaskTimeout, which New gives
// the swarm and TaskAssigned records as the deadline): a member that
// heartbeats but never reports does not hold a task forever.
// Unless it completed, the task is retried if attempts remain and the
// failure is retryable (timeouts, lost and departed members always are):
// TaskAttemptFailed makes it wait Backoff·2^(attempt−1), at most
// MaxRetryWait, after which Tick queues it again (TaskRequeued, at once
// when the wait is zero). Otherwise TaskFailed ends it for good.
//
// # Budget
//
// Completed tasks' usage is the swarm's spending. When it has reached the
// budget and a task could be assigned, SwarmBudgetExhausted is decided once
// and nothing is assigned until RaiseBudget sets a budget not yet reached.
//
// A workflow run has a budget of its own, which the swarm enforces at
// decision time too, for the run's tasks already queued: each task of a
// run carries the run's budget and what the run had spent when it
// dispatched the task (TaskQueued.run_budget, run_spent), and the swarm
// adds the usage of the run's tasks completed since, keeping the larger
// of the two counts. Once that reaches the run's budget, none of the run's
// queued tasks is assigned (SwarmRunBudgetExhausted, decided the first time
// one is held), while other runs' tasks are, until the run's new budget
// arrives (SetRunBudget, sent by the router when the run records
// RunBudgetChanged; SwarmRunBudgetChanged) and is not spent too. Budget
// news from an older event of the run than the swarm has seen is stale and
// ignored. The swarm keeps a run's budget while the run has unfinished
// tasks in it.
//
// # Correlation
//
// A task's events after TaskQueued carry the correlation id of the
// request that submitted it (for a workflow step, the run's), whoever sent
// the command that decided them: State is an actors.Correlator, and each
// task keeps the correlation id of its TaskQueued.
//
// # Consensus
//
// Propose opens a question with options, a rule and a quorum; members vote
// once each until the deadline. The electorate is the members that are not
// lost; the quorum is met when at least quorum×electorate members voted.
// "majority": the option with more than half the votes wins. "unanimous":
// every vote for one option. "weighted": like majority, each vote weighted
// by the voter's success rate when it voted (at least MinVoteWeight, so new
// members count). A proposal is decided at its deadline (Tick) or as soon
// as the outcome cannot change: every elector voted, a majority of the whole
// electorate agrees, or a unanimous vote was broken.
//
// # Cost
//
// A decision costs in proportion to what it changes, not to the swarm's
// size: the draft copies only the tasks, members and indexes it changes.
// Assigning a task scores the members holding its capability (every
// member for a task without one); a pass over the queue stops when no
// member has a free slot and skips, after the first miss, the tasks of a
// capability no member can take. Queue insertions and removals move
// O(queue) entries; Tick, CancelRunTasks and releasing a member's tasks
// scan the unfinished tasks.
//
// # Idempotency
//
// Commands are re-sent after a crash, so a command that was already decided
// decides nothing (no events, no error): adding a member, submitting a task
// under a known key, completing or failing a task this agent already
// completed or failed, opening a known proposal, casting the same vote
// again, and the status changes (lost, recovered, draining, paused,
// resumed, same budget) already in effect. The swarm remembers the last
// RecentTasks finished tasks and RecentProposals decided proposals for
// this, those that ended within its last RecallWindow events. Its
// snapshot leaves that memory out, to be recalled from those events when
// it is restored (State.Recall): a snapshot holds the swarm's live state
// (members, unfinished tasks, open proposals, budgets, counts), and costs
// the same after a thousand tasks or a billion. Member commands caused by
// an agent's events carry that event's version (AgentVersion); the swarm
// records the newest it followed per agent and ignores older ones, so that
// a join delivered again after the agent left does not make it a member
// again.
package swarm
