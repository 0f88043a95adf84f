package workflow_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/workflow"
	hivev1 "hive/proto/hive/v1"
)

func retried(stepID string, gen int, by string) *hivev1.StepRetried {
	return &hivev1.StepRetried{RunId: runID, StepId: stepID, Generation: int32(gen), By: by, AtUnixNano: ns(t0)}
}

func TestRetryStep(t *testing.T) {
	a, b, c := step("a"), step("b", "a"), step("c")
	run := []proto.Message{started(a, b, c), dispatched(a, 1, "root step"), dispatched(c, 1, "root step")}
	with := func(evs ...proto.Message) []proto.Message { return plus(run, evs...) }
	aFailed := with(failed("a", 1, "boom"), runFailed("a", `step "a" failed: boom`))
	bothFailed := with(failed("a", 1, "boom"), runFailed("a", "x"), failed("c", 1, "bang"))
	heldByFailure := with(failed("c", 1, "bang"), runFailed("c", "x"), completed("a", 1, "1"))
	runDecisions(t, []decisionCase{
		{
			name: "retry dispatches a new generation and resumes the run", given: aFailed,
			when: workflow.RetryStep{StepID: "a", By: "ops", At: t0},
			then: []proto.Message{retried("a", 2, "ops"), resumed("ops", `step "a" retried by ops`), dispatched(a, 2, "retried by ops")},
		},
		{
			name: "retry with another step still failed holds the step", given: bothFailed,
			when: workflow.RetryStep{StepID: "a", By: "ops", At: t0}, then: []proto.Message{retried("a", 2, "ops")},
		},
		{
			name: "retrying the last failed step releases the held ones", given: plus(bothFailed, retried("a", 2, "ops")),
			when: workflow.RetryStep{StepID: "c", By: "ops", At: t0},
			then: []proto.Message{retried("c", 2, "ops"), resumed("ops", `step "c" retried by ops`), dispatched(a, 2, "retried by ops"), dispatched(c, 2, "retried by ops")},
		},
		{
			name: "steps that became ready in the failed run are dispatched too", given: heldByFailure,
			when: workflow.RetryStep{StepID: "c", By: "ops", At: t0},
			then: []proto.Message{retried("c", 2, "ops"), resumed("ops", `step "c" retried by ops`), dispatched(b, 1, "retried by ops", "a=1"), dispatched(c, 2, "retried by ops")},
		},
		{name: "retry a step that has not failed", given: run, when: workflow.RetryStep{StepID: "a"}, wantErr: workflow.ErrStepNotFailed},
		{name: "retry a retried step", given: plus(aFailed, retried("a", 2, "ops")), when: workflow.RetryStep{StepID: "a"}, wantErr: decision.ErrConflict},
		{name: "retry a rejected step", given: with(rejected("a", "bob", "", "rejected by bob")), when: workflow.RetryStep{StepID: "a"}, wantErr: workflow.ErrStepNotFailed},
		{name: "retry an unknown step", given: aFailed, when: workflow.RetryStep{StepID: "zz"}, wantErr: workflow.ErrStepNotFound},
		{name: "retry without a step", given: aFailed, when: workflow.RetryStep{}, wantErr: decision.ErrInvalid, fields: []string{"step_id"}},
		{name: "results of the old generation are stale", given: plus(aFailed, retried("a", 2, "ops"), dispatched(a, 2, "x")), when: complete("a", 1, "1")},
	})
}

func TestRetriedStepRunsToCompletion(t *testing.T) {
	a, b := step("a"), step("b", "a")
	s := given(t)
	decide(t, s, startCmd(a, b))
	decide(t, s, workflow.FailStep{Key: key("a", 1), TaskID: "t1", Reason: "boom", At: t0})
	decide(t, s, workflow.RetryStep{StepID: "a", By: "ops", At: t0})
	if st := stepView(t, s, "a"); st.Status != workflow.StepDispatched || st.Generation != 2 || st.Key != key("a", 2) || st.Error != "" {
		t.Fatalf("retried step = %+v", st)
	}
	decide(t, s, complete("a", 2, `"A2"`))
	checkEvents(t, decide(t, s, complete("b", 1, "1")), []proto.Message{completed("b", 1, "1"), runCompleted(2)})
	kinds := ""
	for _, e := range runView(t, s).Timeline {
		kinds += e.Kind + " "
	}
	if want := "run_started step_failed run_failed step_retried run_resumed run_completed "; kinds != want {
		t.Errorf("timeline = %q, want %q", kinds, want)
	}
}
