package swarm_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/swarm"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// TestATaskKeepsItsCorrelation: every event about a task after it was
// queued carries the correlation id of the request that submitted it,
// whoever sends the command; other events, and a task queued by the same
// decision, the command's.
func TestATaskKeepsItsCorrelation(t *testing.T) {
	s := given(t, created(swarm.Mesh), joined(1, 1), joined(2, 1))
	for _, m := range []proto.Message{retrying(queued(1, ""), 2, 0), assignedTo(1, 1, 1, t0)} {
		env := &events.Envelope{Version: s.Version() + 1, Type: string(m.ProtoReflect().Descriptor().FullName()), RecordedAt: t0,
			Metadata: events.Metadata{CorrelationID: "rel-42"}}
		if err := s.Apply(env, m); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{"TaskAttemptFailed": "rel-42", "TaskRequeued": "rel-42", "TaskAssigned": "rel-42"}
	evs, err := s.Decide(swarm.FailTask{TaskID: tid(1), AgentID: ag(1), Retryable: true, At: at(time.Second)})
	if err != nil || len(evs) != 3 {
		t.Fatalf("Decide = %v, %v", evs, err)
	}
	more, err := s.Decide(swarm.SubmitTask{At: at(time.Second)})
	if err != nil || len(more) != 2 {
		t.Fatalf("Decide = %v, %v", more, err)
	}
	evs = append(evs, more...)
	want["TaskQueued"] = ""
	for i, m := range evs {
		name := string(m.ProtoReflect().Descriptor().Name())
		got := s.CorrelationOf(m)
		if i == len(evs)-1 {
			// the new task's assignment: the command's
			if got != "" {
				t.Errorf("the new task's %s: %q, want the command's", name, got)
			}
			continue
		}
		if got != want[name] {
			t.Errorf("%s: correlation %q, want %q", name, got, want[name])
		}
	}
	if got := s.CorrelationOf(&hivev1.SwarmMemberLost{SwarmId: sid, AgentId: ag(2)}); got != "" {
		t.Errorf("a member event: %q, want the command's", got)
	}
	if v := view(&s); v.Tasks[0].CorrelationID != "rel-42" {
		t.Errorf("task view %+v", v.Tasks[0])
	}
}
