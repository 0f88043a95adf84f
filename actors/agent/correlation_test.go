package agent_test

import (
	"testing"
	"time"

	"hive/actors/agent"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// TestATaskInFlightKeepsItsCorrelation: the agent's events about a task
// carry the correlation id of the task's assignment, though the agent
// reports progress in requests of its own; its other events the command's.
func TestATaskInFlightKeepsItsCorrelation(t *testing.T) {
	s := given(t, registeredAt(t0), joined())
	m := started("t1", 5)
	env := &events.Envelope{Version: s.Version + 1, Type: string(m.ProtoReflect().Descriptor().FullName()), RecordedAt: t0,
		Metadata: events.Metadata{CorrelationID: "rel-42"}}
	if err := s.Apply(env, m); err != nil {
		t.Fatal(err)
	}
	progress, err := s.Decide(agent.ReportProgress{TaskID: "t1", Message: "halfway", Percent: 50})
	if err != nil || len(progress) != 1 {
		t.Fatalf("Decide = %v, %v", progress, err)
	}
	if got := s.CorrelationOf(progress[0]); got != "rel-42" {
		t.Errorf("progress: %q, want rel-42", got)
	}
	fin := &hivev1.AgentTaskFinished{AgentId: id, TaskId: "t1", Outcome: agent.OutcomeCompleted}
	if got := s.CorrelationOf(fin); got != "rel-42" {
		t.Errorf("finish: %q, want rel-42", got)
	}
	if got := s.CorrelationOf(&hivev1.AgentHeartbeatExtended{AgentId: id, DeadlineUnixNano: t0.Add(time.Minute).UnixNano()}); got != "" {
		t.Errorf("heartbeat: %q, want the command's", got)
	}
	if got := s.View().(agent.State).Tasks["t1"].CorrelationID; got != "rel-42" {
		t.Errorf("view: %q", got)
	}
}
