package swarm_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

func TestDeadlines(t *testing.T) {
	key := "task/" + tid(1)
	tests := []struct {
		name string
		msg  proto.Message
		want []actors.Deadline
	}{
		{"assigned with a timeout", &hivev1.TaskAssigned{TaskId: tid(1), DeadlineUnixNano: ns(at(time.Minute))}, []actors.Deadline{{Key: key, At: at(time.Minute)}}},
		{"assigned without a timeout", &hivev1.TaskAssigned{TaskId: tid(1)}, nil},
		{"attempt failed: wait for the retry", &hivev1.TaskAttemptFailed{TaskId: tid(1), RetryAtUnixNano: ns(at(time.Second))}, []actors.Deadline{{Key: key, At: at(time.Second)}}},
		{"requeued", &hivev1.TaskRequeued{TaskId: tid(1)}, []actors.Deadline{{Key: key}}},
		{"completed", &hivev1.TaskCompleted{TaskId: tid(1)}, []actors.Deadline{{Key: key}}},
		{"failed", &hivev1.TaskFailed{TaskId: tid(1)}, []actors.Deadline{{Key: key}}},
		{"cancelled", &hivev1.TaskCancelled{TaskId: tid(1)}, []actors.Deadline{{Key: key}}},
		{"proposal opened", &hivev1.ProposalOpened{ProposalId: pid, DeadlineUnixNano: ns(at(time.Hour))}, []actors.Deadline{{Key: "proposal/" + pid, At: at(time.Hour)}}},
		{"proposal decided", &hivev1.ProposalDecided{ProposalId: pid}, []actors.Deadline{{Key: "proposal/" + pid}}},
		{"queued", &hivev1.TaskQueued{TaskId: tid(1)}, nil},
		{"member joined", joined(1, 1), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := swarm.Deadlines(tt.msg)
			if len(got) != len(tt.want) {
				t.Fatalf("Deadlines = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i].Key != tt.want[i].Key || !got[i].At.Equal(tt.want[i].At) {
					t.Fatalf("Deadlines = %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// TestDeadlinesWakeTheSwarmWhenDue follows a swarm's timers as the timer
// index does, and checks that a Tick at each decides something.
func TestDeadlinesWakeTheSwarmWhenDue(t *testing.T) {
	s := given(t, created(swarm.Mesh), joined(1, 1))
	timers := map[string]time.Time{}
	follow := func(evs []proto.Message) {
		for _, e := range evs {
			for _, d := range swarm.Deadlines(e) {
				if d.At.IsZero() {
					delete(timers, d.Key)
				} else {
					timers[d.Key] = d.At
				}
			}
		}
	}
	follow(decide(t, &s, swarm.SubmitTask{MaxAttempts: 2, Backoff: time.Second, Timeout: time.Minute, At: t0}))
	follow(decide(t, &s, swarm.Propose{ProposalID: pid, Question: "?", Options: []string{"a", "b"}, Rule: swarm.Majority, Deadline: at(time.Hour), At: t0}))
	for step := 0; len(timers) > 0; step++ {
		if step > 10 {
			t.Fatalf("timers never settle: %v", timers)
		}
		var next time.Time
		for _, at := range timers {
			if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		evs := decide(t, &s, swarm.Tick{Now: next})
		if len(evs) == 0 {
			t.Fatalf("a Tick at a deadline (%v) decided nothing", next)
		}
		follow(evs)
	}
	if v := view(&s); v.TaskCounts.Failed != 1 || len(v.Proposals) != 0 {
		t.Fatalf("after every timer: %+v", v)
	}
}
