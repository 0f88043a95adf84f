package swarm_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

func prioritized(seq uint64, priority int32, when time.Time) *hivev1.TaskQueued {
	q := queued(seq, "")
	q.Priority, q.AtUnixNano = priority, ns(when)
	return q
}

// order adds a member that can take every queued task and returns the
// order it was given them in.
func order(t *testing.T, evs ...proto.Message) []string {
	t.Helper()
	s := given(t, evs...)
	var got []string
	for _, e := range decide(t, &s, swarm.AddMember{AgentID: ag(1), MaxConcurrency: 10, At: at(time.Hour)}) {
		if a, ok := e.(*hivev1.TaskAssigned); ok {
			got = append(got, a.GetTaskId())
		}
	}
	return got
}

func TestQueueOrder(t *testing.T) {
	tests := []struct {
		name string
		evs  []proto.Message
		want []string
	}{
		{
			name: "higher priority first, then older",
			evs: []proto.Message{prioritized(1, 0, t0), prioritized(2, 9, t0), prioritized(3, 5, t0),
				prioritized(4, 5, at(-time.Second))},
			want: []string{tid(2), tid(4), tid(3), tid(1)},
		},
		{
			name: "a task waiting 10 aging steps outranks a fresh priority 9 task",
			evs:  []proto.Message{prioritized(1, 0, t0), prioritized(2, 9, at(10*swarm.AgingStep))},
			want: []string{tid(1), tid(2)},
		},
		{
			name: "a task waiting 8 aging steps does not",
			evs:  []proto.Message{prioritized(1, 0, t0), prioritized(2, 9, at(8*swarm.AgingStep))},
			want: []string{tid(2), tid(1)},
		},
		{
			name: "equal effective priority: the older first",
			evs:  []proto.Message{prioritized(1, 0, t0), prioritized(2, 9, at(9*swarm.AgingStep))},
			want: []string{tid(1), tid(2)},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			evs := append([]proto.Message{created(swarm.Mesh)}, tt.evs...)
			if got := order(t, evs...); !slices.Equal(got, tt.want) {
				t.Fatalf("assigned %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueueSkipsWhatCannotBeAssigned(t *testing.T) {
	s := given(t, created(swarm.Mesh), joined(1, 1, "gpu"), queued(1, "gpu"), assignedTo(1, 1, 1, t0),
		&hivev1.SwarmRunPaused{SwarmId: sid, RunId: "r"},
		prioritized(2, 9, t0), keyed(queued(3, ""), "", "r", ""), queued(4, "gpu"), queued(5, ""))
	// Task 2 needs a free member; 3 is paused; 4 needs the busy gpu member.
	var got []string
	for _, e := range decide(t, &s, swarm.AddMember{AgentID: ag(2), MaxConcurrency: 2, At: t0}) {
		if a, ok := e.(*hivev1.TaskAssigned); ok {
			got = append(got, a.GetTaskId())
		}
	}
	if want := []string{tid(2), tid(5)}; !slices.Equal(got, want) {
		t.Fatalf("assigned %v, want %v", got, want)
	}
}
