package swarm_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

func timed(q *hivev1.TaskQueued, timeout time.Duration) *hivev1.TaskQueued {
	q.TimeoutNanos = int64(timeout)
	return q
}

func TestTick(t *testing.T) {
	task := timed(retrying(queued(1, ""), 3, 10*time.Second), time.Minute)
	assigned := &hivev1.TaskAssigned{SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1, DeadlineUnixNano: ns(at(time.Minute)), AtUnixNano: ns(t0)}
	timedOut := &hivev1.TaskAttemptFailed{
		SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1, Cause: swarm.CauseTimeout, Reason: "no result within 1m0s",
		RetryAtUnixNano: ns(at(70 * time.Second)), AtUnixNano: ns(at(time.Minute)), ExcludeAgent: true,
	}
	// the only member failed the first attempt: the retry falls back to it
	excluded := []*hivev1.TaskExclusion{{AgentId: ag(1), Cause: swarm.CauseTimeout, Attempt: 1}}
	retried := &hivev1.TaskAssigned{SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 2, DeadlineUnixNano: ns(at(130 * time.Second)),
		AtUnixNano: ns(at(70 * time.Second)), Excluded: excluded, ExclusionWaived: true}
	runCases(t, []decisionCase{
		{name: "nothing due", given: []proto.Message{created(swarm.Mesh), joined(1, 1), task, assigned}, when: swarm.Tick{Now: at(59 * time.Second)}},
		{
			name:  "an attempt past its deadline times out and waits for a retry",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), task, assigned},
			when:  swarm.Tick{Now: at(time.Minute)},
			then:  []proto.Message{timedOut},
		},
		{
			name:  "waiting for a retry",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), task, assigned, timedOut},
			when:  swarm.Tick{Now: at(65 * time.Second)},
		},
		{
			name:  "the retry wait is over: queued again and assigned",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), task, assigned, timedOut},
			when:  swarm.Tick{Now: at(70 * time.Second)},
			then: []proto.Message{
				&hivev1.TaskRequeued{SwarmId: sid, TaskId: tid(1), Attempt: 1, AtUnixNano: ns(at(70 * time.Second))},
				retried,
			},
		},
		{
			name: "the second wait is twice as long",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), task, assigned, timedOut,
				&hivev1.TaskRequeued{SwarmId: sid, TaskId: tid(1), AtUnixNano: ns(at(70 * time.Second))}, retried},
			when: swarm.Tick{Now: at(130 * time.Second)},
			then: []proto.Message{&hivev1.TaskAttemptFailed{
				SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 2, Cause: swarm.CauseTimeout, Reason: "no result within 1m0s",
				RetryAtUnixNano: ns(at(150 * time.Second)), AtUnixNano: ns(at(130 * time.Second)), ExcludeAgent: true,
			}},
		},
		{
			name:  "the last attempt's timeout fails the task",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), timed(queued(1, ""), time.Minute), assigned},
			when:  swarm.Tick{Now: at(2 * time.Minute)},
			then: []proto.Message{&hivev1.TaskFailed{
				SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1,
				Failure:    &hivev1.TaskFailure{Cause: swarm.CauseTimeout, Reason: "no result within 1m0s"},
				AtUnixNano: ns(at(2 * time.Minute)),
			}},
		},
		{
			name: "a zero backoff queues the task again at once, for the best member",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), joined(2, 1),
				timed(retrying(queued(1, ""), 2, 0), time.Minute), assigned},
			when: swarm.Tick{Now: at(time.Minute)},
			then: []proto.Message{
				&hivev1.TaskAttemptFailed{
					SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1, Cause: swarm.CauseTimeout, Reason: "no result within 1m0s",
					RetryAtUnixNano: ns(at(time.Minute)), AtUnixNano: ns(at(time.Minute)), ExcludeAgent: true,
				},
				&hivev1.TaskRequeued{SwarmId: sid, TaskId: tid(1), Attempt: 1, AtUnixNano: ns(at(time.Minute))},
				&hivev1.TaskAssigned{SwarmId: sid, TaskId: tid(1), AgentId: ag(2), Attempt: 2, DeadlineUnixNano: ns(at(2 * time.Minute)),
					AtUnixNano: ns(at(time.Minute)), Excluded: []*hivev1.TaskExclusion{{AgentId: ag(1), Cause: swarm.CauseTimeout, Attempt: 1}}},
			},
		},
		{name: "no time", given: []proto.Message{created(swarm.Mesh)}, when: swarm.Tick{}, wantErr: decision.ErrInvalid, fields: []string{"now"}},
	})
}

func TestRetryWaitIsCapped(t *testing.T) {
	s := given(t, created(swarm.Mesh), joined(1, 1), retrying(queued(1, ""), 10, 4*time.Minute), assignedTo(1, 1, 1, t0))
	var retryAt []time.Duration
	now := t0
	for attempt := 1; attempt <= 3; attempt++ {
		evs := decide(t, &s, swarm.FailTask{TaskID: tid(1), AgentID: ag(1), Retryable: true, At: now})
		f := evs[0].(*hivev1.TaskAttemptFailed)
		retryAt = append(retryAt, unixNano(f.GetRetryAtUnixNano()).Sub(now))
		now = unixNano(f.GetRetryAtUnixNano())
		decide(t, &s, swarm.Tick{Now: now})
	}
	want := []time.Duration{4 * time.Minute, 8 * time.Minute, swarm.MaxRetryWait}
	for i := range want {
		if retryAt[i] != want[i] {
			t.Fatalf("waits = %v, want %v", retryAt, want)
		}
	}
}

func unixNano(n int64) time.Time { return time.Unix(0, n).UTC() }

func TestALostMembersTasksGoToOthers(t *testing.T) {
	s := given(t, created(swarm.Mesh), joined(1, 2), joined(2, 1), joined(3, 1),
		retrying(queued(1, ""), 2, 0), assignedTo(1, 1, 1, t0), retrying(queued(2, ""), 2, 0), assignedTo(2, 1, 1, t0))
	evs := decide(t, &s, swarm.MemberLost{AgentID: ag(1), At: at(time.Minute)})
	var got []string
	for _, e := range evs {
		if a, ok := e.(*hivev1.TaskAssigned); ok {
			got = append(got, a.GetTaskId()+" "+a.GetAgentId())
			if a.GetAttempt() != 2 {
				t.Errorf("attempt %d", a.GetAttempt())
			}
		}
	}
	if len(got) != 2 || got[0] != tid(1)+" "+ag(2) || got[1] != tid(2)+" "+ag(3) {
		t.Fatalf("reassigned %v", got)
	}
	v := view(&s)
	if v.Members[0].Load != 0 || v.Members[0].Status != swarm.MemberStatusLost || v.Members[0].Stats.Failed != 0 {
		t.Errorf("lost member = %+v", v.Members[0])
	}
}
