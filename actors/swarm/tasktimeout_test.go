package swarm_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

// TestDefaultTaskTimeout: a task without a timeout of its own gets the
// swarm's configured default at assignment, so that an agent that holds it
// without reporting loses it when the default passes; the attempt fails
// with the reason and is retried. A task's own timeout wins, and the
// default survives the swarm's creation event and a snapshot.
func TestDefaultTaskTimeout(t *testing.T) {
	cfg := swarm.Config{TaskTimeout: time.Hour}
	states := map[string]func(t *testing.T) *swarm.State{
		"from events": func(t *testing.T) *swarm.State {
			s := swarm.New(cfg)
			apply(t, s, created(swarm.Mesh), joined(1, 1), joined(2, 1))
			return s
		},
		"from a snapshot": func(t *testing.T) *swarm.State {
			from := given(t, created(swarm.Mesh), joined(1, 1), joined(2, 1))
			snap, err := from.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			s := swarm.New(cfg)
			if err := s.Restore(snap, from.Version()); err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for name, state := range states {
		t.Run(name, func(t *testing.T) {
			s := state(t)
			evs := decide(t, s, swarm.SubmitTask{Capability: "", MaxAttempts: 2, At: t0})
			a := evs[len(evs)-1].(*hivev1.TaskAssigned)
			if got := unixNano(a.GetDeadlineUnixNano()); !got.Equal(at(time.Hour)) {
				t.Fatalf("deadline %v, want the default's %v", got, at(time.Hour))
			}
			if evs := decide(t, s, swarm.Tick{Now: at(time.Hour - time.Nanosecond)}); len(evs) != 0 {
				t.Fatalf("before the deadline: %v", evs)
			}
			evs = decide(t, s, swarm.Tick{Now: at(time.Hour)})
			want := []proto.Message{
				&hivev1.TaskAttemptFailed{SwarmId: sid, TaskId: tid(1), AgentId: a.GetAgentId(), Attempt: 1, Cause: swarm.CauseTimeout,
					Reason: "no result within 1h0m0s", RetryAtUnixNano: ns(at(time.Hour)), AtUnixNano: ns(at(time.Hour)), ExcludeAgent: true},
				&hivev1.TaskRequeued{SwarmId: sid, TaskId: tid(1), Attempt: 1, AtUnixNano: ns(at(time.Hour))},
			}
			if !equalEvents(evs[:2], want) {
				t.Fatalf("at the deadline: %v, want the attempt timed out and requeued", evs)
			}
			retry := evs[2].(*hivev1.TaskAssigned)
			if retry.GetAttempt() != 2 || !unixNano(retry.GetDeadlineUnixNano()).Equal(at(2*time.Hour)) {
				t.Fatalf("retry %v, want attempt 2 with the default's deadline", retry)
			}
			own := decide(t, s, swarm.SubmitTask{Timeout: time.Minute, At: at(2 * time.Hour)})
			if got := unixNano(own[len(own)-1].(*hivev1.TaskAssigned).GetDeadlineUnixNano()); !got.Equal(at(2*time.Hour + time.Minute)) {
				t.Fatalf("deadline of a task with its own timeout %v, want %v", got, at(2*time.Hour+time.Minute))
			}
		})
	}
}
