package projections_test

import (
	"testing"

	"hive/projections"
	hivev1 "hive/proto/hive/v1"
)

func TestAssignmentsFollowTheSwarmsTasks(t *testing.T) {
	a := projections.NewAssignments()
	wake, stop := a.Watch("x")
	defer stop()
	feed(t, a, "swarm-s",
		&hivev1.TaskQueued{SwarmId: "s", TaskId: "s.1", RunId: "r", StepId: "build", Input: []byte(`{"q":1}`)},
		&hivev1.TaskQueued{SwarmId: "s", TaskId: "s.2"},
		&hivev1.TaskAssigned{SwarmId: "s", TaskId: "s.1", AgentId: "x", Attempt: 1},
	)
	select {
	case <-wake:
	default:
		t.Fatal("an assignment did not wake the agent's watcher")
	}
	w := a.Since("x", 0)
	if len(w.Assignments) != 1 || w.Assignments[0].StepID != "build" || string(w.Assignments[0].Input) != `{"q":1}` || !w.News(0) {
		t.Fatalf("work = %+v, want s.1 with its step and input", w)
	}
	cursor := w.Cursor
	if a.Since("x", cursor).News(cursor) {
		t.Fatal("news after the cursor with nothing new")
	}
	feed(t, a, "swarm-s",
		&hivev1.TaskAssigned{SwarmId: "s", TaskId: "s.2", AgentId: "x", Attempt: 1},
		&hivev1.TaskCompleted{SwarmId: "s", TaskId: "s.2", AgentId: "x"},
		&hivev1.TaskCancelled{SwarmId: "s", TaskId: "s.1", AgentId: "x", Reason: "run cancelled"},
	)
	w = a.Since("x", cursor)
	if len(w.Assignments) != 0 || len(w.Cancelled) != 1 || w.Cancelled[0].TaskID != "s.1" || w.Cancelled[0].Cause != "cancelled" {
		t.Fatalf("after a completion and a cancellation: %+v, want s.1 cancelled and nothing in flight", w)
	}
	if w := a.Since("x", 0); len(w.Cancelled) != 0 {
		t.Fatalf("cursor 0 lists revocations: %+v", w.Cancelled)
	}
}
