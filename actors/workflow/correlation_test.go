package workflow_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"hive/actors/workflow"
	"hive/events"
)

// TestARunKeepsItsCorrelation: every event a started run decides carries
// the correlation id of the request that started it; a run not started
// yet leaves the command's.
func TestARunKeepsItsCorrelation(t *testing.T) {
	a := step("a")
	var s workflow.State
	if got := s.CorrelationOf(started(a)); got != "" {
		t.Fatalf("before the start: %q, want the command's", got)
	}
	for i, m := range []proto.Message{started(a), dispatched(a, 1, "root step")} {
		env := &events.Envelope{Version: uint64(i + 1), Type: string(m.ProtoReflect().Descriptor().FullName()), RecordedAt: t0,
			Metadata: events.Metadata{CorrelationID: []string{"rel-42", "worker-7"}[i]}}
		if err := s.Apply(env, m); err != nil {
			t.Fatal(err)
		}
	}
	decided, err := s.Decide(complete("a", 1, `"done"`))
	if err != nil || len(decided) != 2 {
		t.Fatalf("Decide = %v, %v; want the step and the run completed", decided, err)
	}
	for _, m := range decided {
		if got := s.CorrelationOf(m); got != "rel-42" {
			t.Errorf("%T: correlation %q, want rel-42", m, got)
		}
	}
	if v := s.View().(workflow.RunView); v.CorrelationID != "rel-42" {
		t.Errorf("view correlation %q", v.CorrelationID)
	}
}
