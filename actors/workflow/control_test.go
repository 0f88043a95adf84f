package workflow_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/workflow"
	hivev1 "hive/proto/hive/v1"
)

func paused(by, reason string) *hivev1.RunPaused {
	return &hivev1.RunPaused{RunId: runID, SwarmId: swarm, By: by, Reason: reason, AtUnixNano: ns(t0)}
}

func resumed(by, reason string) *hivev1.RunResumed {
	return &hivev1.RunResumed{RunId: runID, SwarmId: swarm, By: by, Reason: reason, AtUnixNano: ns(t0)}
}

func cancelled(by, reason string, keys []string, awaiting ...string) *hivev1.RunCancelled {
	return &hivev1.RunCancelled{RunId: runID, SwarmId: swarm, By: by, Reason: reason, TaskKeys: keys, AwaitingApprovalStepIds: awaiting, AtUnixNano: ns(t0)}
}

func TestPauseResumeCancel(t *testing.T) {
	a, b, c, g := step("a"), step("b", "a"), step("c"), gated("g", time.Hour)
	run := []proto.Message{started(a, b, c, g), dispatched(a, 1, "root step"), dispatched(c, 1, "root step"), awaiting("g", t0.Add(time.Hour))}
	with := func(evs ...proto.Message) []proto.Message { return plus(run, evs...) }
	done := []proto.Message{started(a), dispatched(a, 1, "root step"), completed("a", 1, "1"), runCompleted(1)}
	runDecisions(t, []decisionCase{
		{name: "pause", given: run, when: workflow.Pause{By: "ops", Reason: "incident", At: t0}, then: []proto.Message{paused("ops", "incident")}},
		{name: "pause a paused run", given: with(paused("ops", "")), when: workflow.Pause{By: "ops"}},
		{name: "pause a run over budget", given: with(&hivev1.RunBudgetExhausted{RunId: runID}), when: workflow.Pause{At: t0}, then: []proto.Message{paused("", "")}},
		{name: "pause a completed run", given: done, when: workflow.Pause{}, wantErr: workflow.ErrRunFinished},
		{name: "pause a failed run", given: with(failed("a", 1, "x"), runFailed("a", "x")), when: workflow.Pause{}, wantErr: decision.ErrConflict},
		{name: "pause a cancelled run", given: with(cancelled("", "", nil)), when: workflow.Pause{}, wantErr: workflow.ErrRunFinished},
		{
			name: "pause with a reason too long", given: run, when: workflow.Pause{Reason: strings.Repeat("r", decision.MaxReasonLength+1)},
			wantErr: decision.ErrInvalid, fields: []string{"reason"},
		},
		{
			name: "completion while paused holds the dependents", given: with(paused("ops", "")), when: complete("a", 1, "1"),
			then: []proto.Message{completed("a", 1, "1")},
		},
		{
			name: "resume dispatches what became ready", given: with(paused("ops", ""), completed("a", 1, "1")),
			when: workflow.Resume{By: "ops", At: t0},
			then: []proto.Message{resumed("ops", "resumed by ops"), dispatched(b, 1, "run resumed", "a=1")},
		},
		{name: "resume a paused run with nothing ready", given: with(paused("ops", "")), when: workflow.Resume{At: t0}, then: []proto.Message{resumed("", "resumed")}},
		{name: "resume a running run", given: run, when: workflow.Resume{By: "ops"}},
		{name: "resume a run over budget", given: with(&hivev1.RunBudgetExhausted{RunId: runID}), when: workflow.Resume{}},
		{name: "resume a completed run", given: done, when: workflow.Resume{}, wantErr: workflow.ErrRunFinished},
		{name: "resume a failed run", given: with(failed("a", 1, "x"), runFailed("a", "x")), when: workflow.Resume{}, wantErr: workflow.ErrRunFinished},
		{
			name: "cancel lists the tasks to stop and the approvals to clear", given: with(assigned("c", 1, 1, "agent-1")),
			when: workflow.Cancel{By: "ops", Reason: "wrong input", At: t0},
			then: []proto.Message{cancelled("ops", "wrong input", []string{key("a", 1), key("c", 1)}, "g")},
		},
		{name: "cancel twice", given: with(cancelled("ops", "", nil)), when: workflow.Cancel{By: "other"}},
		{name: "cancel a completed run", given: done, when: workflow.Cancel{}, wantErr: workflow.ErrRunFinished},
		{
			name: "cancel a failed run", given: with(failed("a", 1, "x"), runFailed("a", "x")), when: workflow.Cancel{At: t0},
			then: []proto.Message{cancelled("", "", []string{key("c", 1)}, "g")},
		},
		{name: "cancel a paused run", given: with(paused("", "")), when: workflow.Cancel{At: t0}, then: []proto.Message{cancelled("", "", []string{key("a", 1), key("c", 1)}, "g")}},
		{name: "retry after cancel", given: with(failed("a", 1, "x"), runFailed("a", "x"), cancelled("", "", nil)), when: workflow.RetryStep{StepID: "a"}, wantErr: workflow.ErrRunFinished},
	})
}

func TestCancelIgnoresLateResults(t *testing.T) {
	a, b := step("a"), step("b", "a")
	s := given(t, started(a, b), dispatched(a, 1, "root step"))
	decide(t, s, workflow.Cancel{By: "ops", Reason: "stop", At: t0})
	for _, c := range []any{assign("a", 1, 1, "agent-1"), complete("a", 1, "1"), workflow.FailStep{Key: key("a", 1), Reason: "x"}} {
		if evs, err := s.Decide(c); err != nil || len(evs) != 0 {
			t.Errorf("%T after cancel = %v, %v; want nothing", c, evs, err)
		}
	}
	v := runView(t, s)
	if v.Status != workflow.StatusCancelled || v.StatusReason != "stop" || !v.FinishedAt.Equal(t0) {
		t.Fatalf("run = %+v", v)
	}
	for _, st := range v.Steps {
		if st.Status != workflow.StepCancelled {
			t.Errorf("step %s is %s", st.ID, st.Status)
		}
	}
}

func TestPauseHoldsAndResumeReleases(t *testing.T) {
	a, b, c := step("a"), step("b", "a"), step("c", "a")
	s := given(t)
	decide(t, s, startCmd(a, b, c))
	decide(t, s, workflow.Pause{By: "ops", At: t0})
	checkEvents(t, decide(t, s, complete("a", 1, "1")), []proto.Message{completed("a", 1, "1")})
	for _, id := range []string{"b", "c"} {
		if st := stepView(t, s, id); st.Status != workflow.StepReady || !st.ReadyAt.Equal(t0) {
			t.Errorf("step %s while paused = %s", id, st.Status)
		}
	}
	checkEvents(t, decide(t, s, workflow.Resume{By: "ops", At: t0}), []proto.Message{
		resumed("ops", "resumed by ops"), dispatched(b, 1, "run resumed", "a=1"), dispatched(c, 1, "run resumed", "a=1"),
	})
	if v := runView(t, s); v.Status != workflow.StatusRunning {
		t.Errorf("status after resume = %s", v.Status)
	}
}
