package swarm

import (
	"fmt"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// Snapshot returns the state as a SwarmSnapshot: its live state (members,
// unfinished tasks, open proposals, budgets, counts), whose size does not
// grow with the swarm's history. The memory of recently finished tasks and
// decided proposals is left out, to be recalled from the events (Recall).
func (s *State) Snapshot() (proto.Message, error) {
	if s.ov != nil {
		return nil, fmt.Errorf("swarm %s: a draft cannot be snapshotted", s.id)
	}
	snap := &hivev1.SwarmSnapshot{
		SwarmId: s.id, Name: s.name, Topology: string(s.topology), LeaderId: s.leader, Weights: s.weights.proto(),
		MinSize: uint32(s.minSize), MaxSize: uint32(s.maxSize), Budget: s.budget.Proto(), Spent: s.spent.Proto(),
		BudgetExhausted: s.exhausted, CreatedAtUnixNano: nanos(s.createdAt), LastSeq: s.lastSeq, Cursor: s.cursor,
		TasksCompleted: s.counts.completed, TasksFailed: s.counts.failed, TasksCancelled: s.counts.cancelled,
		CompletedDurationNanos: int64(s.counts.completedDuration), ClockUnixNano: nanos(s.clock),
		DissolvedAtUnixNano: nanos(s.dissolvedAt), DissolveReason: s.dissolveReason,
	}
	for i := range s.members {
		m := s.mem(i)
		snap.Members = append(snap.Members, &hivev1.SwarmSnapshot_Member{
			AgentId: m.id, Capabilities: slices.Clone(m.caps), MaxConcurrency: uint32(m.maxConcurrency),
			Lost: m.lost, Draining: m.draining, Load: uint32(m.load), Completed: m.completed, Failed: m.failed,
			TotalDurationNanos: int64(m.totalDuration), JoinedAtUnixNano: nanos(m.joinedAt),
		})
	}
	for _, seq := range s.taskSeqs(func(*task) bool { return true }) {
		t, _ := s.tasks.get(seq)
		snap.Tasks = append(snap.Tasks, taskProto(t))
	}
	s.paused.each(func(run string, _ struct{}) { snap.PausedRuns = append(snap.PausedRuns, run) })
	slices.Sort(snap.PausedRuns)
	s.agentVersions.each(func(agent string, v uint64) {
		if snap.AgentVersions == nil {
			snap.AgentVersions = map[string]uint64{}
		}
		snap.AgentVersions[agent] = v
	})
	s.snapshotMemory(snap)
	s.snapshotRuns(snap)
	return snap, nil
}

// snapshotMemory records the open proposals, and where to recall the
// memory of finished tasks and decided proposals from: the snapshot
// leaves that memory out (see Recall).
func (s *State) snapshotMemory(snap *hivev1.SwarmSnapshot) {
	for _, p := range s.openProposals() {
		sp := &hivev1.SwarmSnapshot_Proposal{Opened: proto.CloneOf(p.opened)}
		for _, v := range p.votes {
			sp.Votes = append(sp.Votes, proto.CloneOf(v))
		}
		snap.Proposals = append(snap.Proposals, sp)
	}
	snap.FinishedBefore, snap.DecidedBefore = s.finished.first()-1, s.decided.first()-1
	snap.FinishedFrom, _ = s.finished.oldest()
	snap.DecidedFrom, _ = s.decided.oldest()
}

func taskProto(t *task) *hivev1.SwarmSnapshot_Task {
	return &hivev1.SwarmSnapshot_Task{
		Seq: t.seq, Key: t.key, RunId: t.runID, StepId: t.stepID, Capability: t.capability, Input: slices.Clone(t.input),
		Priority: int32(t.priority), MaxAttempts: int32(t.maxAttempts), BackoffNanos: int64(t.backoff),
		TimeoutNanos: int64(t.timeout), Planner: t.planner, Status: string(t.status), Attempt: int32(t.attempt),
		AgentId: t.agent, SubmittedAtUnixNano: nanos(t.submittedAt), QueuedAtUnixNano: nanos(t.queuedAt),
		AssignedAtUnixNano: nanos(t.assignedAt), DeadlineUnixNano: nanos(t.deadline), RetryAtUnixNano: nanos(t.retryAt),
		LastAgentId: t.lastAgent, LastCause: t.lastCause, Excluded: exclusionsProto(t.excluded), CorrelationId: t.correlation,
	}
}

// Restore replaces the state with a SwarmSnapshot taken at version.
func (s *State) Restore(msg proto.Message, version uint64) error {
	snap, ok := msg.(*hivev1.SwarmSnapshot)
	if !ok {
		return fmt.Errorf("swarm: cannot restore from %T", msg)
	}
	r := State{
		cfg: s.cfg, id: snap.GetSwarmId(), name: snap.GetName(), topology: Topology(snap.GetTopology()), leader: snap.GetLeaderId(),
		weights: weightsFromProto(snap.GetWeights()), minSize: int(snap.GetMinSize()), maxSize: int(snap.GetMaxSize()),
		budget: ledger.BudgetFromProto(snap.GetBudget()), spent: ledger.FromProto(snap.GetSpent()),
		exhausted: snap.GetBudgetExhausted(), createdAt: unixNano(snap.GetCreatedAtUnixNano()), version: version,
		lastSeq: snap.GetLastSeq(), cursor: snap.GetCursor(), clock: unixNano(snap.GetClockUnixNano()),
		dissolvedAt: unixNano(snap.GetDissolvedAtUnixNano()), dissolveReason: snap.GetDissolveReason(),
		counts: counts{
			completed: snap.GetTasksCompleted(), failed: snap.GetTasksFailed(), cancelled: snap.GetTasksCancelled(),
			completedDuration: time.Duration(snap.GetCompletedDurationNanos()),
		},
	}
	for _, m := range snap.GetMembers() {
		r.insertMember(&member{
			id: m.GetAgentId(), caps: slices.Clone(m.GetCapabilities()), maxConcurrency: int(m.GetMaxConcurrency()),
			lost: m.GetLost(), draining: m.GetDraining(), load: int(m.GetLoad()), completed: m.GetCompleted(),
			failed: m.GetFailed(), totalDuration: time.Duration(m.GetTotalDurationNanos()), joinedAt: unixNano(m.GetJoinedAtUnixNano()),
		})
	}
	for _, p := range snap.GetTasks() {
		r.restoreTask(p)
	}
	for agent, v := range snap.GetAgentVersions() {
		r.agentVersions.set(agent, v)
	}
	for _, run := range snap.GetPausedRuns() {
		r.paused.set(run, struct{}{})
	}
	r.restoreMemory(snap)
	r.restoreRuns(snap)
	*s = r
	return nil
}

// restoreMemory restores the open proposals, and readies the memory of
// finished tasks and decided proposals for Recall. A snapshot taken
// before snapshots left that memory out holds it: it is restored as if
// the snapshot's version had added it, to be forgotten RecallWindow
// events later.
func (s *State) restoreMemory(snap *hivev1.SwarmSnapshot) {
	for _, p := range snap.GetProposals() {
		s.proposals.set(p.GetOpened().GetProposalId(), &proposal{
			opened: proto.CloneOf(p.GetOpened()), deadline: unixNano(p.GetOpened().GetDeadlineUnixNano()),
			votes: cloneAll(p.GetVotes()),
		})
	}
	s.finished.n, s.decided.n = snap.GetFinishedBefore(), snap.GetDecidedBefore()
	s.recall = recall{tasksFrom: snap.GetFinishedFrom(), proposalsFrom: snap.GetDecidedFrom()}
	s.at = s.version
	for _, f := range snap.GetFinished() {
		s.remember(f.GetSeq(), finished{key: f.GetKey(), outcome: TaskStatus(f.GetOutcome()), agent: f.GetAgentId()})
		if f.GetKey() != "" {
			s.keys.set(f.GetKey(), f.GetSeq())
		}
	}
	for _, d := range snap.GetDecidedProposals() {
		votes := make(map[string]string, len(d.GetVotes()))
		for _, b := range d.GetVotes() {
			votes[b.GetAgentId()] = b.GetOption()
		}
		s.decided.add(d.GetProposalId(), votes, s.at, RecentProposals)
	}
}

// restoreTask restores an unfinished task, its key and its queue entry.
func (s *State) restoreTask(p *hivev1.SwarmSnapshot_Task) {
	t := &task{
		seq: p.GetSeq(), key: p.GetKey(), runID: p.GetRunId(), stepID: p.GetStepId(), capability: p.GetCapability(),
		input: slices.Clone(p.GetInput()), priority: int(p.GetPriority()), maxAttempts: int(p.GetMaxAttempts()),
		backoff: time.Duration(p.GetBackoffNanos()), timeout: time.Duration(p.GetTimeoutNanos()), planner: p.GetPlanner(),
		status: TaskStatus(p.GetStatus()), attempt: int(p.GetAttempt()), agent: p.GetAgentId(),
		submittedAt: unixNano(p.GetSubmittedAtUnixNano()), queuedAt: unixNano(p.GetQueuedAtUnixNano()),
		assignedAt: unixNano(p.GetAssignedAtUnixNano()), deadline: unixNano(p.GetDeadlineUnixNano()),
		retryAt: unixNano(p.GetRetryAtUnixNano()), lastAgent: p.GetLastAgentId(), lastCause: p.GetLastCause(),
		excluded: exclusionsFrom(p.GetExcluded()), correlation: p.GetCorrelationId(),
	}
	s.tasks.set(t.seq, t)
	if t.key != "" {
		s.keys.set(t.key, t.seq)
	}
	if t.status == TaskStatusQueued {
		s.enqueue(t)
	}
}

func cloneAll[M proto.Message](ms []M) []M {
	out := make([]M, len(ms))
	for i, m := range ms {
		out[i] = proto.CloneOf(m)
	}
	return out
}
