package agent

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// Snapshot returns the agent's whole state, for the runtime to store beside
// its stream.
func (s *State) Snapshot() (proto.Message, error) {
	snap := &hivev1.AgentSnapshot{
		AgentId: s.ID, Name: s.Name, Capabilities: slices.Clone(s.Capabilities), Labels: maps.Clone(s.Labels),
		MaxConcurrency: s.MaxConcurrency, Status: string(s.Status), RegisteredAtUnixNano: nanos(s.RegisteredAt),
		DeadlineUnixNano: nanos(s.Deadline), Draining: s.Draining, SwarmId: s.Swarm,
		Completed: s.Stats.Completed, Failed: s.Stats.Failed, Ended: s.Stats.Ended,
		TotalDurationNanos: int64(s.Stats.TotalDuration), Usage: s.Stats.Usage.Proto(), SwarmVersions: maps.Clone(s.swarmSeen),
	}
	for _, id := range slices.Sorted(maps.Keys(s.Tasks)) {
		t := s.Tasks[id]
		snap.Tasks = append(snap.Tasks, &hivev1.AgentSnapshot_Task{
			TaskId: id, SwarmId: t.SwarmID, StartedAtUnixNano: nanos(t.StartedAt), DeadlineUnixNano: nanos(t.Deadline),
			CorrelationId: t.CorrelationID,
		})
	}
	return snap, nil
}

// Restore replaces the state with a snapshot taken at version.
func (s *State) Restore(msg proto.Message, version uint64) error {
	snap, ok := msg.(*hivev1.AgentSnapshot)
	if !ok {
		return fmt.Errorf("agent: cannot restore from %T", msg)
	}
	r := State{
		ID: snap.GetAgentId(), Name: snap.GetName(), Capabilities: slices.Clone(snap.GetCapabilities()),
		Labels: maps.Clone(snap.GetLabels()), MaxConcurrency: snap.GetMaxConcurrency(), Status: Status(snap.GetStatus()),
		RegisteredAt: unixNano(snap.GetRegisteredAtUnixNano()), Deadline: unixNano(snap.GetDeadlineUnixNano()),
		Draining: snap.GetDraining(), Swarm: snap.GetSwarmId(), Tasks: make(map[string]Task, len(snap.GetTasks())),
		Stats: Stats{Completed: snap.GetCompleted(), Failed: snap.GetFailed(), Ended: snap.GetEnded(),
			TotalDuration: time.Duration(snap.GetTotalDurationNanos()), Usage: ledger.FromProto(snap.GetUsage())},
		swarmSeen: maps.Clone(snap.GetSwarmVersions()), Version: version,
	}
	if r.Stats.Completed > 0 {
		r.Stats.MeanDuration = r.Stats.TotalDuration / time.Duration(r.Stats.Completed)
	}
	for _, t := range snap.GetTasks() {
		r.Tasks[t.GetTaskId()] = Task{SwarmID: t.GetSwarmId(), StartedAt: unixNano(t.GetStartedAtUnixNano()), Deadline: unixNano(t.GetDeadlineUnixNano()),
			CorrelationID: t.GetCorrelationId()}
	}
	*s = r
	return nil
}

// nanos is t in Unix nanoseconds; the zero time is 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
