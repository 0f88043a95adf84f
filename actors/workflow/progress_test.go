package workflow_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	"hive/actors/workflow"
	hivev1 "hive/proto/hive/v1"
)

func assigned(stepID string, gen, attempt int, agentID string) *hivev1.StepAssigned {
	return &hivev1.StepAssigned{RunId: runID, StepId: stepID, Generation: int32(gen), Key: key(stepID, gen),
		TaskId: "task-" + stepID, AgentId: agentID, Attempt: int32(attempt), AtUnixNano: ns(t0)}
}

func assign(stepID string, gen, attempt int, agentID string) workflow.RecordAssignment {
	return workflow.RecordAssignment{Key: key(stepID, gen), TaskID: "task-" + stepID, AgentID: agentID, Attempt: attempt, At: t0}
}

func TestRecordAssignment(t *testing.T) {
	a, b := step("a"), step("b", "a")
	run := []proto.Message{started(a, b), dispatched(a, 1, "root step")}
	with := func(evs ...proto.Message) []proto.Message { return plus(run, evs...) }
	runDecisions(t, []decisionCase{
		{name: "first assignment", given: run, when: assign("a", 1, 1, "agent-1"), then: []proto.Message{assigned("a", 1, 1, "agent-1")}},
		{name: "the same assignment again", given: with(assigned("a", 1, 1, "agent-1")), when: assign("a", 1, 1, "agent-1")},
		{name: "an older attempt", given: with(assigned("a", 1, 2, "agent-2")), when: assign("a", 1, 1, "agent-1")},
		{
			name: "a later attempt is reassigned", given: with(assigned("a", 1, 1, "agent-1")),
			when: assign("a", 1, 2, "agent-2"), then: []proto.Message{assigned("a", 1, 2, "agent-2")},
		},
		{name: "after completion", given: with(completed("a", 1, "1")), when: assign("a", 1, 1, "agent-1")},
		{name: "stale generation", given: run, when: assign("a", 2, 1, "agent-1")},
		{name: "a step not dispatched", given: run, when: assign("b", 1, 1, "agent-1")},
		{name: "a cancelled run", given: with(&hivev1.RunCancelled{RunId: runID}), when: assign("a", 1, 1, "agent-1")},
		{name: "malformed key", given: run, when: workflow.RecordAssignment{Key: "nope"}, wantErr: decision.ErrInvalid, fields: []string{"key"}},
		{
			name: "key of another run", given: run, when: workflow.RecordAssignment{Key: workflow.TaskKey("other", "a", 1)},
			wantErr: decision.ErrInvalid, fields: []string{"key"},
		},
		{name: "unknown step", given: run, when: assign("zz", 1, 1, "x"), wantErr: workflow.ErrStepNotFound},
		{name: "negative attempt", given: run, when: assign("a", 1, -1, "x"), wantErr: decision.ErrInvalid, fields: []string{"attempt"}},
	})
}

func TestCompleteStep(t *testing.T) {
	a, b, c := step("a"), step("b", "a"), step("c")
	run := []proto.Message{started(a, b, c), dispatched(a, 1, "root step"), dispatched(c, 1, "root step")}
	with := func(evs ...proto.Message) []proto.Message { return plus(run, evs...) }
	usage := ledger.Usage{Model: "m", InputTokens: 10, OutputTokens: 5, CostMicros: 7}
	withUsage := complete("a", 1, `{"x":1}`)
	withUsage.Usage = usage
	completedWithUsage := completed("a", 1, `{"x":1}`)
	completedWithUsage.Usage = usage.Proto()
	runDecisions(t, []decisionCase{
		{
			name:  "completion dispatches the dependents with the output",
			given: run, when: complete("a", 1, `{"x":1}`),
			then: []proto.Message{completed("a", 1, `{"x":1}`), dispatched(b, 1, "dependencies completed", `a={"x":1}`)},
		},
		{name: "usage is recorded", given: run, when: withUsage, then: []proto.Message{completedWithUsage, funded(dispatched(b, 1, "dependencies completed", `a={"x":1}`), ledger.Budget{}, usage)}},
		{
			name: "completion of an assigned step", given: with(assigned("a", 1, 1, "agent-1")), when: complete("a", 1, "1"),
			then: []proto.Message{completed("a", 1, "1"), dispatched(b, 1, "dependencies completed", "a=1")},
		},
		{
			name: "no output is null", given: run, when: complete("c", 1, ""),
			then: []proto.Message{completed("c", 1, "null")},
		},
		{
			name: "the last completion completes the run", given: with(completed("a", 1, "1"), dispatched(b, 1, "x", "a=1"), completed("b", 1, "2")),
			when: complete("c", 1, "3"), then: []proto.Message{completed("c", 1, "3"), runCompleted(3)},
		},
		{name: "completion again", given: with(completed("a", 1, "1")), when: complete("a", 1, "1")},
		{name: "completion of a stale generation", given: run, when: complete("a", 2, "1")},
		{name: "completion after failure", given: with(failed("a", 1, "x"), runFailed("a", "x")), when: complete("a", 1, "1")},
		{name: "completion after cancel is ignored", given: with(&hivev1.RunCancelled{RunId: runID}), when: complete("a", 1, "1")},
		{
			name: "completion while failed is recorded, dependents held", given: with(failed("c", 1, "x"), runFailed("c", "x")),
			when: complete("a", 1, "1"), then: []proto.Message{completed("a", 1, "1")},
		},
		{
			name: "output that is not JSON fails the step and the run", given: run, when: complete("a", 1, "{oops"),
			then: []proto.Message{failedByRun("a", "its output is not valid JSON"), runFailed("a", `step "a" failed: its output is not valid JSON`)},
		},
		{
			name: "output too large", given: run, when: complete("a", 1, `"`+strings.Repeat("x", decision.MaxJSONBytes)+`"`),
			then: []proto.Message{
				failedByRun("a", "its output is 262146 bytes, over the limit of 262144"),
				runFailed("a", `step "a" failed: its output is 262146 bytes, over the limit of 262144`),
			},
		},
		{name: "invalid usage", given: run, when: workflow.CompleteStep{Key: key("a", 1), Usage: ledger.Usage{InputTokens: -1}}, wantErr: decision.ErrInvalid, fields: []string{"usage.input_tokens"}},
		{name: "malformed key", given: run, when: complete("a", 0, "1"), wantErr: decision.ErrInvalid, fields: []string{"key"}},
	})
}

func failedByRun(stepID, reason string) *hivev1.StepFailed {
	f := failed(stepID, 1, reason)
	f.ByRun = true
	return f
}

func TestFailStep(t *testing.T) {
	a, c := step("a"), step("c")
	run := []proto.Message{started(a, c), dispatched(a, 1, "root step"), dispatched(c, 1, "root step")}
	with := func(evs ...proto.Message) []proto.Message { return plus(run, evs...) }
	fail := func(stepID, reason string) workflow.FailStep {
		return workflow.FailStep{Key: key(stepID, 1), TaskID: "task-" + stepID, AgentID: "agent-1", Reason: reason, At: t0}
	}
	long := fail("a", strings.Repeat("é", decision.MaxReasonLength+10))
	runDecisions(t, []decisionCase{
		{
			name: "failure fails the run, naming the step", given: run, when: fail("a", "3 attempts timed out"),
			then: []proto.Message{failed("a", 1, "3 attempts timed out"), runFailed("a", `step "a" failed: 3 attempts timed out`)},
		},
		{
			name: "a second failure in a failed run fails only the step", given: with(failed("a", 1, "x"), runFailed("a", "x")),
			when: fail("c", "boom"), then: []proto.Message{failed("c", 1, "boom")},
		},
		{name: "failure again", given: with(failed("a", 1, "x"), runFailed("a", "x")), when: fail("a", "x")},
		{name: "failure after completion", given: with(completed("a", 1, "1")), when: fail("a", "x")},
		{name: "failure after cancel is ignored", given: with(&hivev1.RunCancelled{RunId: runID}), when: fail("a", "x")},
		{
			name: "a long reason is truncated, not refused", given: run, when: long,
			then: []proto.Message{
				failed("a", 1, strings.Repeat("é", decision.MaxReasonLength-1)+"…"),
				runFailed("a", `step "a" failed: `+strings.Repeat("é", decision.MaxReasonLength-1)+"…"),
			},
		},
		{
			name: "failure while paused still fails the run", given: with(&hivev1.RunPaused{RunId: runID}),
			when: fail("a", "x"), then: []proto.Message{failed("a", 1, "x"), runFailed("a", `step "a" failed: x`)},
		},
	})
}

func TestDiamondRunsToCompletionWithOutputsPassedOn(t *testing.T) {
	a, b, c := step("a"), step("b", "a"), step("c", "a")
	d := step("d", "c", "b")
	s := given(t)
	checkEvents(t, decide(t, s, startCmd(a, b, c, d)), []proto.Message{started(a, b, c, d), dispatched(a, 1, "root step")})
	checkEvents(t, decide(t, s, complete("a", 1, `{"n":1}`)), []proto.Message{
		completed("a", 1, `{"n":1}`),
		dispatched(b, 1, "dependencies completed", `a={"n":1}`),
		dispatched(c, 1, "dependencies completed", `a={"n":1}`),
	})
	checkEvents(t, decide(t, s, complete("b", 1, `"B"`)), []proto.Message{completed("b", 1, `"B"`)})
	if got := stepView(t, s, "d").Status; got != workflow.StepPending {
		t.Fatalf("d is %s with c outstanding", got)
	}
	checkEvents(t, decide(t, s, complete("c", 1, `["C"]`)), []proto.Message{
		completed("c", 1, `["C"]`),
		dispatched(d, 1, "dependencies completed", `c=["C"]`, `b="B"`),
	})
	checkEvents(t, decide(t, s, complete("d", 1, `true`)), []proto.Message{completed("d", 1, "true"), runCompleted(4)})
	v := runView(t, s)
	if v.Status != workflow.StatusCompleted || v.StepsCompleted != 4 || !v.FinishedAt.Equal(t0) || v.StatusReason != "all 4 steps completed" {
		t.Fatalf("run = %+v", v)
	}
	if out := stepView(t, s, "c").Output; string(out) != `["C"]` {
		t.Errorf("output of c = %s", out)
	}
	var in struct {
		Input json.RawMessage            `json:"input"`
		Deps  map[string]json.RawMessage `json:"deps"`
	}
	if err := json.Unmarshal(dispatched(d, 1, "", `c=["C"]`, `b="B"`).GetInput(), &in); err != nil || string(in.Deps["b"]) != `"B"` {
		t.Errorf("dispatched input does not decode: %v %+v", err, in)
	}
}

func TestStepViewFollowsProgress(t *testing.T) {
	later := t0.Add(time.Minute)
	done := completed("a", 1, `{"ok":true}`)
	done.AtUnixNano, done.Usage = ns(later), (&ledger.Usage{InputTokens: 3}).Proto()
	s := given(t, started(step("a")), dispatched(step("a"), 1, "root step"), assigned("a", 1, 1, "agent-7"), done)
	v := stepView(t, s, "a")
	if v.Status != workflow.StepCompleted || v.AgentID != "agent-1" || v.TaskID != "task-a" || v.Attempt != 1 || string(v.Output) != `{"ok":true}` {
		t.Errorf("step = %+v", v)
	}
	if !v.ReadyAt.Equal(t0) || !v.DispatchedAt.Equal(t0) || !v.AssignedAt.Equal(t0) || !v.CompletedAt.Equal(later) {
		t.Errorf("timings = %v %v %v %v", v.ReadyAt, v.DispatchedAt, v.AssignedAt, v.CompletedAt)
	}
	if v.Usage.InputTokens != 3 || runView(t, s).Usage.InputTokens != 3 {
		t.Errorf("usage of step %+v, of run %+v", v.Usage, runView(t, s).Usage)
	}
}

func TestDispatchInputTooLargeFailsTheStep(t *testing.T) {
	roots := []workflow.Step{step("r0"), step("r1"), step("r2"), step("r3")}
	join := step("join", "r0", "r1", "r2", "r3")
	s := given(t)
	decide(t, s, startCmd(append(roots, join)...))
	big := `"` + strings.Repeat("x", decision.MaxJSONBytes-2) + `"`
	for _, r := range roots[:3] {
		decide(t, s, complete(r.ID, 1, big))
	}
	evs := decide(t, s, complete("r3", 1, big))
	if len(evs) != 3 {
		t.Fatalf("decided %v", evs)
	}
	f, ok := evs[1].(*hivev1.StepFailed)
	if !ok || f.GetStepId() != "join" || !f.GetByRun() || !strings.Contains(f.GetReason(), "over the limit of 786432") || f.GetKey() != key("join", 1) {
		t.Fatalf("second event = %v", evs[1])
	}
	if _, ok := evs[2].(*hivev1.RunFailed); !ok {
		t.Fatalf("third event = %v", evs[2])
	}
	if v := runView(t, s); v.Status != workflow.StatusFailed || stepView(t, s, "join").Status != workflow.StepFailed {
		t.Errorf("run %s, join %s", v.Status, stepView(t, s, "join").Status)
	}
}
