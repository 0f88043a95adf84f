package workflow_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"hive/actors/decision"
	"hive/actors/workflow"
)

func TestValidateSteps(t *testing.T) {
	many := make([]workflow.Step, decision.MaxSteps+1)
	for i := range many {
		many[i] = workflow.Step{ID: fmt.Sprintf("s%d", i)}
	}
	with := func(f func(*workflow.Step)) []workflow.Step {
		s := step("a")
		f(&s)
		return []workflow.Step{s}
	}
	tests := []struct {
		name     string
		existing map[string]bool
		steps    []workflow.Step
		fields   []string
		reason   string // in the first field's reason
	}{
		{name: "diamond", steps: []workflow.Step{step("a"), step("b", "a"), step("c", "a"), step("d", "b", "c")}},
		{name: "no steps", steps: nil},
		{name: "dependency on an existing step", existing: map[string]bool{"x": true}, steps: []workflow.Step{step("a", "x")}},
		{name: "dependency declared later", steps: []workflow.Step{step("b", "a"), step("a")}},
		{name: "exactly MaxSteps", steps: many[:decision.MaxSteps]},
		{
			name: "unknown dependency", steps: []workflow.Step{step("a"), step("b", "a", "ghost")},
			fields: []string{"steps[1].depends_on[1]"}, reason: `unknown step "ghost"`,
		},
		{
			name: "cycle reports its path", steps: []workflow.Step{step("a", "b"), step("b", "c"), step("c", "a"), step("d")},
			fields: []string{"steps[2].depends_on[0]"}, reason: "dependency cycle: a -> b -> c -> a",
		},
		{
			name: "cycle off a root", steps: []workflow.Step{step("r"), step("x", "r", "y"), step("y", "x")},
			fields: []string{"steps[2].depends_on[0]"}, reason: "dependency cycle: x -> y -> x",
		},
		{name: "self dependency", steps: []workflow.Step{step("a", "a")}, fields: []string{"steps[0].depends_on[0]"}, reason: "dependency cycle: a -> a"},
		{
			name: "duplicate id", steps: []workflow.Step{step("a"), step("b"), step("a")},
			fields: []string{"steps[2].id"}, reason: `duplicate step id "a" (also steps[0])`,
		},
		{
			name: "id of an existing step", existing: map[string]bool{"a": true}, steps: []workflow.Step{step("a")},
			fields: []string{"steps[0].id"}, reason: `step "a" already exists`,
		},
		{name: "duplicate dependency", steps: []workflow.Step{step("a"), step("b", "a", "a")}, fields: []string{"steps[1].depends_on[1]"}},
		{name: "too many steps", steps: many, fields: []string{"steps"}, reason: fmt.Sprintf("at most %d steps", decision.MaxSteps)},
		{
			name: "too many invalid steps: only their number is reported", steps: invalidSteps(decision.MaxSteps + 1),
			fields: []string{"steps"},
		},
		{
			name: "too many dependencies", steps: append(slices.Clone(many[:2]), workflow.Step{ID: "join", DependsOn: manyIDs(decision.MaxDependencies + 1)}),
			fields: []string{"steps[2].depends_on"}, reason: fmt.Sprintf("at most %d dependencies", decision.MaxDependencies),
		},
		{
			name: "too many with the existing", existing: map[string]bool{"x": true}, steps: many[:decision.MaxSteps],
			fields: []string{"steps"},
		},
		{name: "bad input JSON", steps: with(func(s *workflow.Step) { s.Input = json.RawMessage(`{"a":`) }), fields: []string{"steps[0].input"}, reason: "valid JSON"},
		{
			name: "input too large",
			steps: with(func(s *workflow.Step) {
				s.Input = json.RawMessage(`"` + strings.Repeat("x", decision.MaxJSONBytes) + `"`)
			}),
			fields: []string{"steps[0].input"},
		},
		{name: "empty id", steps: []workflow.Step{{ID: ""}}, fields: []string{"steps[0].id"}},
		{name: "id with a slash", steps: []workflow.Step{{ID: "a/b"}}, fields: []string{"steps[0].id"}},
		{name: "id of 65 characters", steps: []workflow.Step{{ID: strings.Repeat("a", 65)}}, fields: []string{"steps[0].id"}},
		{name: "non-ASCII id", steps: []workflow.Step{{ID: "é"}}, fields: []string{"steps[0].id"}},
		{name: "capability with a space", steps: with(func(s *workflow.Step) { s.Capability = "has space" }), fields: []string{"steps[0].capability"}},
		{
			name: "limits",
			steps: with(func(s *workflow.Step) {
				s.Retry = workflow.RetryPolicy{MaxAttempts: 101, Backoff: 2 * time.Hour}
				s.Timeout, s.Priority = 25*time.Hour, 10
			}),
			fields: []string{"steps[0].retry.max_attempts", "steps[0].retry.backoff", "steps[0].timeout", "steps[0].priority"},
		},
		{
			name:   "negative limits",
			steps:  with(func(s *workflow.Step) { s.Retry.MaxAttempts, s.Retry.Backoff, s.Timeout, s.Priority = -1, -1, -1, -1 }),
			fields: []string{"steps[0].retry.max_attempts", "steps[0].retry.backoff", "steps[0].timeout", "steps[0].priority"},
		},
		{name: "approval timeout without approval", steps: with(func(s *workflow.Step) { s.ApprovalTimeout = time.Minute }), fields: []string{"steps[0].approval_timeout"}},
		{name: "approval timeout too long", steps: []workflow.Step{gated("a", 31*24*time.Hour)}, fields: []string{"steps[0].approval_timeout"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := workflow.ValidateSteps(tc.existing, tc.steps, "steps")
			if len(tc.fields) == 0 {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !errors.Is(err, decision.ErrInvalid) {
				t.Fatalf("err = %v, want invalid", err)
			}
			checkFields(t, err, tc.fields)
			var inv *decision.InvalidError
			if errors.As(err, &inv) && !strings.Contains(inv.Fields[0].Reason, tc.reason) {
				t.Errorf("reason %q does not mention %q", inv.Fields[0].Reason, tc.reason)
			}
		})
	}
}

func TestValidateStepsDeepChainHasNoCycle(t *testing.T) {
	steps := chain(decision.MaxSteps)
	if err := workflow.ValidateSteps(nil, steps, "steps"); err != nil {
		t.Fatal(err)
	}
	steps[0].DependsOn = []string{steps[len(steps)-1].ID}
	err := workflow.ValidateSteps(nil, steps, "steps")
	want := fmt.Sprintf("dependency cycle: s0 -> s%d -> s%d", decision.MaxSteps-1, decision.MaxSteps-2)
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %.200v", err)
	}
}

// invalidSteps is n steps with the same invalid id.
func invalidSteps(n int) []workflow.Step {
	steps := make([]workflow.Step, n)
	for i := range steps {
		steps[i] = workflow.Step{ID: "!", DependsOn: []string{"!", "!"}}
	}
	return steps
}

// manyIDs is n ids, all unknown but for the first.
func manyIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("s%d", i)
	}
	return ids
}

// chain is n steps, each depending on the one before.
func chain(n int) []workflow.Step {
	steps := make([]workflow.Step, n)
	for i := range steps {
		steps[i] = workflow.Step{ID: fmt.Sprintf("s%d", i)}
		if i > 0 {
			steps[i].DependsOn = []string{steps[i-1].ID}
		}
	}
	return steps
}

func TestStepJSON(t *testing.T) {
	in := `{"id":"build","capability":"code","input":{"repo":"x"},"depends_on":["fetch"],` +
		`"retry":{"max_attempts":3,"backoff":"5s"},"timeout":"1m30s","approval":true,"approval_timeout":"1h","priority":7,"planner":true}`
	var st workflow.Step
	if err := json.Unmarshal([]byte(in), &st); err != nil {
		t.Fatal(err)
	}
	want := workflow.Step{ID: "build", Capability: "code", Input: json.RawMessage(`{"repo":"x"}`), DependsOn: []string{"fetch"},
		Retry: workflow.RetryPolicy{MaxAttempts: 3, Backoff: 5 * time.Second}, Timeout: 90 * time.Second,
		Approval: true, ApprovalTimeout: time.Hour, Priority: 7, Planner: true}
	if got := marshal(t, st); got != marshal(t, want) {
		t.Fatalf("decoded %s, want %s", got, marshal(t, want))
	}
	out := marshal(t, st)
	var again workflow.Step
	if err := json.Unmarshal([]byte(out), &again); err != nil || marshal(t, again) != out {
		t.Fatalf("round trip of %s: %v", out, err)
	}
	if got := marshal(t, workflow.Step{ID: "a"}); got != `{"id":"a"}` {
		t.Errorf("zero fields are written: %s", got)
	}
	for _, bad := range []string{`{"id":"a","dependsOn":["b"]}`, `{"id":"a","timeout":30}`, `{"id":"a","timeout":"soon"}`, `{"id":"a","retry":{"tries":2}}`} {
		if err := json.Unmarshal([]byte(bad), &st); err == nil {
			t.Errorf("%s decoded without error", bad)
		}
	}
}

func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestTaskKey(t *testing.T) {
	k := workflow.TaskKey(runID, "build-1", 3)
	if k != runID+"/build-1/3" {
		t.Fatalf("TaskKey = %q", k)
	}
	run, st, gen, err := workflow.ParseTaskKey(k)
	if err != nil || run != runID || st != "build-1" || gen != 3 {
		t.Fatalf("ParseTaskKey = %q %q %d %v", run, st, gen, err)
	}
	for _, bad := range []string{"", "a/b", "a/b/c/1", "/b/1", "a//1", "a/b/0", "a/b/-1", "a/b/01", "a/b/x", "a/b c/1"} {
		if _, _, _, err := workflow.ParseTaskKey(bad); !errors.Is(err, workflow.ErrBadTaskKey) {
			t.Errorf("ParseTaskKey(%q) err = %v", bad, err)
		}
	}
}
