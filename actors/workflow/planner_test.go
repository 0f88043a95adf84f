package workflow_test

import (
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"hive/actors/workflow"
	hivev1 "hive/proto/hive/v1"
)

func planner(id string, deps ...string) workflow.Step {
	s := step(id, deps...)
	s.Planner = true
	return s
}

func plan(stepID, output, addSteps string) workflow.CompleteStep {
	c := complete(stepID, 1, output)
	c.AddSteps = json.RawMessage(addSteps)
	return c
}

func stepsAdded(by string, steps ...workflow.Step) *hivev1.StepsAdded {
	m := &hivev1.StepsAdded{RunId: runID, ByStep: by, AtUnixNano: ns(t0)}
	for _, s := range steps {
		m.Steps = append(m.Steps, s.Proto())
	}
	return m
}

func TestPlannerAddsSteps(t *testing.T) {
	p, z, a := planner("p"), step("z", "p"), step("a")
	run := []proto.Message{started(p, z, a), dispatched(p, 1, "root step"), dispatched(a, 1, "root step")}
	x := workflow.Step{ID: "x", Input: json.RawMessage(`{"part":1}`), DependsOn: []string{"p", "a"}, Retry: workflow.RetryPolicy{MaxAttempts: 1}}
	y := workflow.Step{ID: "y", Input: json.RawMessage("null"), DependsOn: []string{"x"}, Retry: workflow.RetryPolicy{MaxAttempts: 2}}
	w := workflow.Step{ID: "w", Input: json.RawMessage("null"), Retry: workflow.RetryPolicy{MaxAttempts: 1}}
	added := `[{"id":"x","input":{"part":1},"depends_on":["p","a"]},{"id":"y","depends_on":["x"],"retry":{"max_attempts":2}},{"id":"w"}]`
	invalid := func(reason string) []proto.Message {
		return []proto.Message{failedByRun("p", reason), runFailed("p", `step "p" failed: `+reason)}
	}
	notPlanner := []proto.Message{started(step("q")), dispatched(step("q"), 1, "root step")}
	runDecisions(t, []decisionCase{
		{
			name: "added steps are recorded and those ready dispatched", given: plus(run, completed("a", 1, `"A"`)),
			when: plan("p", `"plan"`, added),
			then: []proto.Message{
				completed("p", 1, `"plan"`), stepsAdded("p", x, y, w),
				dispatched(z, 1, "dependencies completed", `p="plan"`),
				dispatched(x, 1, `added by planner step "p"`, `p="plan"`, `a="A"`),
				dispatched(w, 1, `added by planner step "p"`),
			},
		},
		{
			name: "added steps wait for their dependencies", given: run, when: plan("p", `"plan"`, `[{"id":"x","depends_on":["a"]}]`),
			then: []proto.Message{
				completed("p", 1, `"plan"`), stepsAdded("p", workflow.Step{ID: "x", Input: json.RawMessage("null"), DependsOn: []string{"a"}, Retry: workflow.RetryPolicy{MaxAttempts: 1}}),
				dispatched(z, 1, "dependencies completed", `p="plan"`),
			},
		},
		{name: "an empty list adds nothing", given: run, when: plan("p", "1", " [] "), then: []proto.Message{completed("p", 1, "1"), dispatched(z, 1, "dependencies completed", "p=1")}},
		{name: "null adds nothing", given: run, when: plan("p", "1", "null"), then: []proto.Message{completed("p", 1, "1"), dispatched(z, 1, "dependencies completed", "p=1")}},
		{
			name: "an unknown dependency fails the planner and the run", given: run, when: plan("p", "1", `[{"id":"x","depends_on":["ghost"]}]`),
			then: invalid(`invalid steps added: add_steps[0].depends_on[0]: unknown step "ghost"`),
		},
		{
			name: "an id already in the run", given: run, when: plan("p", "1", `[{"id":"a"}]`),
			then: invalid(`invalid steps added: add_steps[0].id: step "a" already exists`),
		},
		{
			name: "a cycle among added steps", given: run, when: plan("p", "1", `[{"id":"x","depends_on":["y"]},{"id":"y","depends_on":["x"]}]`),
			then: invalid(`invalid steps added: add_steps[1].depends_on[0]: dependency cycle: x -> y -> x`),
		},
		{
			name: "not a JSON array of steps", given: run, when: plan("p", "1", `{"id":"x"}`),
			then: invalid("its added steps are not a JSON array of steps: json: cannot unmarshal object into Go value of type []workflow.Step"),
		},
		{
			name: "a step that is not a planner", given: notPlanner, when: workflow.CompleteStep{Key: key("q", 1), TaskID: "task-q", AgentID: "agent-1", Output: json.RawMessage("1"), AddSteps: json.RawMessage(`[{"id":"x"}]`), At: t0},
			then: []proto.Message{failedByRun("q", `step "q" is not a planner, so it cannot add steps`), runFailed("q", `step "q" failed: step "q" is not a planner, so it cannot add steps`)},
		},
	})
}

func TestPlannedRunCompletesWithTheAddedSteps(t *testing.T) {
	s := given(t)
	decide(t, s, startCmd(planner("p")))
	decide(t, s, plan("p", `"plan"`, `[{"id":"x","depends_on":["p"]},{"id":"y","depends_on":["x"]}]`))
	if got := runView(t, s); got.Status != workflow.StatusRunning || got.StepsTotal != 3 {
		t.Fatalf("after planning: %s with %d steps", got.Status, got.StepsTotal)
	}
	if x := stepView(t, s, "x"); x.AddedBy != "p" || x.Status != workflow.StepDispatched {
		t.Fatalf("x = %+v", x)
	}
	checkEvents(t, decide(t, s, complete("x", 1, `"X"`)), []proto.Message{
		completed("x", 1, `"X"`),
		dispatched(workflow.Step{ID: "y", Input: json.RawMessage("null"), DependsOn: []string{"x"}}, 1, "dependencies completed", `x="X"`),
	})
	checkEvents(t, decide(t, s, complete("y", 1, "1")), []proto.Message{completed("y", 1, "1"), runCompleted(3)})
}

func TestInvalidAdditionIsRecordedAndRetryable(t *testing.T) {
	s := given(t)
	decide(t, s, startCmd(planner("p")))
	decide(t, s, plan("p", "1", `[{"id":"bad id"}]`))
	v := runView(t, s)
	p := stepView(t, s, "p")
	if v.Status != workflow.StatusFailed || p.Status != workflow.StepFailed || !strings.Contains(p.Error, "add_steps[0].id") || !strings.Contains(v.StatusReason, `step "p" failed: invalid steps added`) {
		t.Fatalf("run %s (%s), step %s (%s)", v.Status, v.StatusReason, p.Status, p.Error)
	}
	decide(t, s, workflow.RetryStep{StepID: "p", By: "ops", At: t0})
	c := plan("p", "1", `[{"id":"good"}]`)
	c.Key = key("p", 2)
	decide(t, s, c)
	if got := stepView(t, s, "good"); got.Status != workflow.StepDispatched {
		t.Fatalf("step added on retry is %s", got.Status)
	}
}
