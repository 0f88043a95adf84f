package swarm_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

// attemptEnded is the TaskAttemptFailed of task 1's attempt on member n,
// queued again at once (a zero backoff).
func attemptEnded(n int, attempt int32, cause string, exclude bool, when time.Time) *hivev1.TaskAttemptFailed {
	reason := map[string]string{
		swarm.CauseFailed: "flaky", swarm.CauseTimeout: "no result within 1m0s",
		swarm.CauseAgentLeft: "agent left the swarm",
	}[cause]
	return &hivev1.TaskAttemptFailed{
		SwarmId: sid, TaskId: tid(1), AgentId: ag(n), Attempt: attempt, Cause: cause, Reason: reason,
		RetryAtUnixNano: ns(when), AtUnixNano: ns(when), ExcludeAgent: exclude,
	}
}

func requeued(attempt int32, when time.Time) *hivev1.TaskRequeued {
	return &hivev1.TaskRequeued{SwarmId: sid, TaskId: tid(1), Attempt: attempt, AtUnixNano: ns(when)}
}

func excluding(a *hivev1.TaskAssigned, waived bool, es ...*hivev1.TaskExclusion) *hivev1.TaskAssigned {
	a.Excluded, a.ExclusionWaived = es, waived
	return a
}

func deadlined(a *hivev1.TaskAssigned, d time.Time) *hivev1.TaskAssigned {
	a.DeadlineUnixNano = ns(d)
	return a
}

func exclusion(n int, cause string, attempt int32) *hivev1.TaskExclusion {
	return &hivev1.TaskExclusion{AgentId: ag(n), Cause: cause, Attempt: attempt}
}

// TestRetriesGoToAnotherMember: a retry passes over the members earlier
// attempts of the task failed on, timed out on or were lost with, and goes
// back to one of them only when no other member is eligible. Member 1 is a
// specialist (capability fit 1) and would win member 2's (fit 0.5) place by
// score, failure and all.
func TestRetriesGoToAnotherMember(t *testing.T) {
	base := []proto.Message{created(swarm.Mesh), joined(1, 1, "code"), joined(2, 1, "code", "review"),
		retrying(queued(1, "code"), 3, 0), assignedTo(1, 1, 1, t0)}
	with := func(evs ...proto.Message) []proto.Message { return append(append([]proto.Message{}, base...), evs...) }
	later := at(time.Minute)
	fail := swarm.FailTask{TaskID: tid(1), AgentID: ag(1), Reason: "flaky", Retryable: true, At: later}
	hub := &hivev1.SwarmLeaderChanged{SwarmId: sid, LeaderId: ag(1)}
	planning := retrying(queued(1, ""), 3, 0)
	planning.Planner = true
	runCases(t, []decisionCase{
		{
			name: "a failed attempt is retried on another member", given: base, when: fail,
			then: []proto.Message{
				attemptEnded(1, 1, swarm.CauseFailed, true, later), requeued(1, later),
				excluding(assignedTo(1, 2, 2, later), false, exclusion(1, swarm.CauseFailed, 1)),
			},
		},
		{
			name:  "a timed-out attempt is retried on another member",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1, "code"), joined(2, 1, "code", "review"), timed(retrying(queued(1, "code"), 3, 0), time.Minute), deadlined(assignedTo(1, 1, 1, t0), later)},
			when:  swarm.Tick{Now: later},
			then: []proto.Message{
				attemptEnded(1, 1, swarm.CauseTimeout, true, later), requeued(1, later),
				deadlined(excluding(assignedTo(1, 2, 2, later), false, exclusion(1, swarm.CauseTimeout, 1)), at(2*time.Minute)),
			},
		},
		{
			name:  "no other member is eligible: back to the member it failed on",
			given: with(queued(2, "code"), assignedTo(2, 2, 1, t0)), when: fail,
			then: []proto.Message{
				attemptEnded(1, 1, swarm.CauseFailed, true, later), requeued(1, later),
				excluding(assignedTo(1, 1, 2, later), true, exclusion(1, swarm.CauseFailed, 1)),
			},
		},
		{
			name: "every member failed it: the best of them",
			given: with(attemptEnded(1, 1, swarm.CauseFailed, true, t0), requeued(1, t0),
				excluding(assignedTo(1, 2, 2, t0), false, exclusion(1, swarm.CauseFailed, 1))),
			when: swarm.FailTask{TaskID: tid(1), AgentID: ag(2), Reason: "flaky", Retryable: true, At: later},
			then: []proto.Message{
				attemptEnded(2, 2, swarm.CauseFailed, true, later), requeued(2, later),
				excluding(assignedTo(1, 1, 3, later), true, exclusion(1, swarm.CauseFailed, 1), exclusion(2, swarm.CauseFailed, 2)),
			},
		},
		{
			name:  "a member that left is not held responsible",
			given: base, when: swarm.RemoveMember{AgentID: ag(1), At: later},
			then: []proto.Message{
				&hivev1.SwarmMemberLeft{SwarmId: sid, AgentId: ag(1), AtUnixNano: ns(later)},
				attemptEnded(1, 1, swarm.CauseAgentLeft, false, later), requeued(1, later), assignedTo(1, 2, 2, later),
			},
		},
		{
			name:  "a failure recorded before exclusions existed excludes no one, so replays decide as they did",
			given: with(attemptEnded(1, 1, swarm.CauseFailed, false, later)),
			when:  swarm.Tick{Now: later},
			then:  []proto.Message{requeued(1, later), assignedTo(1, 1, 2, later)},
		},
		{
			name:  "star: the hub failed it, a spoke takes the retry",
			given: []proto.Message{created(swarm.Star), joined(1, 1), hub, joined(2, 1), retrying(queued(1, ""), 3, 0), assignedTo(1, 1, 1, t0)},
			when:  fail,
			then: []proto.Message{
				attemptEnded(1, 1, swarm.CauseFailed, true, later), requeued(1, later),
				excluding(assignedTo(1, 2, 2, later), false, exclusion(1, swarm.CauseFailed, 1)),
			},
		},
		{
			name:  "ring: the next member after the one that failed it",
			given: []proto.Message{created(swarm.Ring), joined(1, 1), joined(2, 1), joined(3, 1), retrying(queued(1, ""), 3, 0), assignedTo(1, 1, 1, t0)},
			when:  fail,
			then: []proto.Message{
				attemptEnded(1, 1, swarm.CauseFailed, true, later), requeued(1, later),
				excluding(assignedTo(1, 2, 2, later), false, exclusion(1, swarm.CauseFailed, 1)),
			},
		},
		{
			name:  "hierarchical: only the coordinator plans, so a failed planning task goes back to it",
			given: []proto.Message{created(swarm.Hierarchical), joined(1, 1), hub, joined(2, 1), planning, assignedTo(1, 1, 1, t0)},
			when:  fail,
			then: []proto.Message{
				attemptEnded(1, 1, swarm.CauseFailed, true, later), requeued(1, later),
				excluding(assignedTo(1, 1, 2, later), true, exclusion(1, swarm.CauseFailed, 1)),
			},
		},
	})
}

// TestAnExclusionExplainsItself: the assignment says in words whom it
// passed over, or that it could not, and counts them as ineligible.
func TestAnExclusionExplainsItself(t *testing.T) {
	s := given(t, created(swarm.Mesh), joined(1, 1, "code"), joined(2, 1, "code", "review"), joined(3, 1, "review"),
		retrying(queued(1, "code"), 3, 0), assignedTo(1, 1, 1, t0))
	evs := decide(t, &s, swarm.FailTask{TaskID: tid(1), AgentID: ag(1), Retryable: true, At: at(time.Minute)})
	a := evs[len(evs)-1].(*hivev1.TaskAssigned)
	if a.GetIneligibleExcluded() != 1 || a.GetIneligibleIncapable() != 1 || len(a.GetCandidates()) != 1 ||
		!strings.Contains(a.GetReason(), "passed over the 1 member(s) earlier attempts failed on") {
		t.Fatalf("assignment %v", a)
	}
	v := view(&s)
	if len(v.Tasks) != 1 || len(v.Tasks[0].Excluded) != 1 || v.Tasks[0].Excluded[0] != (swarm.Exclusion{AgentID: ag(1), Cause: swarm.CauseFailed, Attempt: 1}) {
		t.Fatalf("task view %+v", v.Tasks)
	}
	// The what-if an audit asks before this assignment re-decides it.
	before := given(t, created(swarm.Mesh), joined(1, 1, "code"), joined(2, 1, "code", "review"), joined(3, 1, "review"),
		retrying(queued(1, "code"), 3, 0), assignedTo(1, 1, 1, t0), evs[0], evs[1])
	if got, ok := before.Choose(tid(1), swarm.DefaultWeights); !ok || got != ag(2) {
		t.Fatalf("Choose = %s, %v; want %s", got, ok, ag(2))
	}
	if ch, ok := before.WhatIf(tid(1), swarm.DefaultWeights); !ok || ch.AgentID != ag(2) || len(ch.Candidates) != 1 {
		t.Fatalf("WhatIf = %+v, %v", ch, ok)
	}
}
