package workflow

import (
	"fmt"
	"slices"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

var (
	_ actors.Snapshotter = (*State)(nil)
	_ actors.Resting     = (*State)(nil)
)

// Snapshot returns the whole state as a WorkflowSnapshot. It shares byte
// slices with the state, which never changes them in place.
func (s *State) Snapshot() (proto.Message, error) {
	entries, dropped := s.log.recent()
	snap := &hivev1.WorkflowSnapshot{
		RunId: s.ID, Name: s.Name, SwarmId: s.SwarmID, Status: string(s.Status), StatusReason: s.StatusReason,
		Budget: s.Budget.Proto(), Usage: s.Usage.Proto(), CreatedAtUnixNano: unixNano(s.CreatedAt),
		StartedAtUnixNano: unixNano(s.StartedAt), FinishedAtUnixNano: unixNano(s.FinishedAt),
		Steps: make([]*hivev1.WorkflowStepState, len(s.steps)), Timeline: make([]*hivev1.WorkflowTimelineEntry, len(entries)),
		TimelineDropped: dropped, CorrelationId: s.CorrelationID,
	}
	for i, st := range s.steps {
		snap.Steps[i] = st.proto()
	}
	for i, e := range entries {
		snap.Timeline[i] = e.proto()
	}
	return snap, nil
}

func (st *stepState) proto() *hivev1.WorkflowStepState {
	a := st.approval
	return &hivev1.WorkflowStepState{
		Step: st.def.Proto(), Status: string(st.status), Generation: int32(st.generation), Attempt: int32(st.attempt),
		AgentId: st.agentID, TaskId: st.taskID, Output: st.output, Usage: st.usage.Proto(), Error: st.err, AddedBy: st.addedBy,
		Approval: &hivev1.WorkflowApproval{Status: a.status, RequestedAtUnixNano: unixNano(a.requestedAt),
			DeadlineUnixNano: unixNano(a.deadline), By: a.by, Comment: a.comment, DecidedAtUnixNano: unixNano(a.decidedAt)},
		ReadyAtUnixNano: unixNano(st.readyAt), DispatchedAtUnixNano: unixNano(st.dispatched),
		AssignedAtUnixNano: unixNano(st.assigned), FinishedAtUnixNano: unixNano(st.finished),
	}
}

// Restore replaces the state with a snapshot taken at version, rebuilding
// the indexes (dependents, counts of dependencies waited for) from it.
func (s *State) Restore(msg proto.Message, version uint64) error {
	snap, ok := msg.(*hivev1.WorkflowSnapshot)
	if !ok {
		return fmt.Errorf("workflow: cannot restore from %T", msg)
	}
	r := State{
		ID: snap.GetRunId(), Name: snap.GetName(), SwarmID: snap.GetSwarmId(), Status: Status(snap.GetStatus()),
		StatusReason: snap.GetStatusReason(), Budget: ledger.BudgetFromProto(snap.GetBudget()), Usage: ledger.FromProto(snap.GetUsage()),
		CreatedAt: fromUnixNano(snap.GetCreatedAtUnixNano()), StartedAt: fromUnixNano(snap.GetStartedAtUnixNano()),
		FinishedAt: fromUnixNano(snap.GetFinishedAtUnixNano()), CorrelationID: snap.GetCorrelationId(), Version: version,
		steps: make([]*stepState, len(snap.GetSteps())), index: make(map[string]int, len(snap.GetSteps())),
	}
	for i, p := range snap.GetSteps() {
		r.steps[i] = stepFromProto(p)
		r.steps[i].key = TaskKey(r.ID, r.steps[i].def.ID, r.steps[i].generation)
		r.index[r.steps[i].def.ID] = i
	}
	if err := r.link(); err != nil {
		return err
	}
	for _, e := range snap.GetTimeline() {
		r.log.entries = append(r.log.entries, timelineEntryFromProto(e))
	}
	r.log.dropped = snap.GetTimelineDropped()
	*s = r
	return nil
}

// link rebuilds each step's dependents and count of dependencies waited
// for, and the run's counts of completed and of failed steps.
func (s *State) link() error {
	for i, st := range s.steps {
		switch st.status {
		case StepCompleted:
			s.done++
		case StepFailed, StepRejected:
			s.bad++
		}
		for _, dep := range st.def.DependsOn {
			d := s.step(dep)
			if d == nil {
				return fmt.Errorf("workflow %s: snapshot: step %q depends on unknown step %q", s.ID, st.def.ID, dep)
			}
			d.dependents = append(d.dependents, i)
			if d.status != StepCompleted {
				st.waiting++
			}
		}
	}
	return nil
}

func stepFromProto(p *hivev1.WorkflowStepState) *stepState {
	a := p.GetApproval()
	return &stepState{
		def: StepFromProto(p.GetStep()), status: StepStatus(p.GetStatus()), generation: int(p.GetGeneration()),
		attempt: int(p.GetAttempt()), agentID: p.GetAgentId(), taskID: p.GetTaskId(), output: slices.Clone(p.GetOutput()),
		usage: ledger.FromProto(p.GetUsage()), err: p.GetError(), addedBy: p.GetAddedBy(),
		approval: approval{status: a.GetStatus(), requestedAt: fromUnixNano(a.GetRequestedAtUnixNano()),
			deadline: fromUnixNano(a.GetDeadlineUnixNano()), by: a.GetBy(), comment: a.GetComment(),
			decidedAt: fromUnixNano(a.GetDecidedAtUnixNano())},
		readyAt: fromUnixNano(p.GetReadyAtUnixNano()), dispatched: fromUnixNano(p.GetDispatchedAtUnixNano()),
		assigned: fromUnixNano(p.GetAssignedAtUnixNano()), finished: fromUnixNano(p.GetFinishedAtUnixNano()),
	}
}
