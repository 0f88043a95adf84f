package workflow_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	"hive/actors/workflow"
	hivev1 "hive/proto/hive/v1"
)

func TestStart(t *testing.T) {
	a, b, c := step("a"), step("b", "a"), step("c")
	bare := workflow.Step{ID: "bare"}
	bareStored := workflow.Step{ID: "bare", Input: json.RawMessage("null"), Retry: workflow.RetryPolicy{MaxAttempts: 1}}
	rich := workflow.Step{ID: "rich", Capability: "code", Input: json.RawMessage(`{"k":1}`), Priority: 5, Planner: true,
		Retry: workflow.RetryPolicy{MaxAttempts: 3, Backoff: time.Second}, Timeout: time.Minute}
	gate := gated("gate", time.Hour)
	huge := make([]workflow.Step, 4)
	for i := range huge {
		huge[i] = workflow.Step{ID: fmt.Sprintf("h%d", i), Input: json.RawMessage(`"` + strings.Repeat("x", decision.MaxJSONBytes-2) + `"`)}
	}
	runDecisions(t, []decisionCase{
		{
			name: "roots are dispatched, dependents wait",
			when: startCmd(a, b, c),
			then: []proto.Message{started(a, b, c), dispatched(a, 1, "root step"), dispatched(c, 1, "root step")},
		},
		{
			name: "the definition is stored normalized",
			when: startCmd(bare),
			then: []proto.Message{started(bareStored), dispatched(bareStored, 1, "root step")},
		},
		{
			name: "a dispatch carries what the swarm needs",
			when: startCmd(rich),
			then: []proto.Message{started(rich), dispatched(rich, 1, "root step")},
		},
		{
			name: "a gated root awaits approval",
			when: startCmd(gate, a),
			then: []proto.Message{
				started(gate, a),
				&hivev1.StepAwaitingApproval{RunId: runID, StepId: "gate", Generation: 1, DeadlineUnixNano: ns(t0.Add(time.Hour)), AtUnixNano: ns(t0)},
				dispatched(a, 1, "root step"),
			},
		},
		{
			name: "with a budget",
			when: workflow.Start{RunID: runID, Name: "nightly", SwarmID: swarm, Steps: []workflow.Step{a}, Budget: ledger.Budget{Tokens: 100}, At: t0},
			then: []proto.Message{startedWith(ledger.Budget{Tokens: 100}, a), funded(dispatched(a, 1, "root step"), ledger.Budget{Tokens: 100}, ledger.Usage{})},
		},
		{name: "already started", given: []proto.Message{started(a)}, when: startCmd(a), wantErr: workflow.ErrAlreadyStarted},
		{name: "already started is a conflict", given: []proto.Message{started(a)}, when: startCmd(c), wantErr: decision.ErrConflict},
		{
			name:    "bad run id, swarm, name and budget",
			when:    workflow.Start{RunID: "run-1", Name: "a\x00b", SwarmID: "", Steps: []workflow.Step{a}, Budget: ledger.Budget{Tokens: -1}},
			wantErr: decision.ErrInvalid, fields: []string{"run_id", "name", "swarm_id", "budget.tokens"},
		},
		{name: "no steps", when: startCmd(), wantErr: decision.ErrInvalid, fields: []string{"steps"}},
		{name: "invalid DAG", when: startCmd(step("a", "b"), step("b", "a")), wantErr: decision.ErrInvalid, fields: []string{"steps[1].depends_on[0]"}},
		{name: "definition too large for one event", when: startCmd(huge...), wantErr: decision.ErrInvalid, fields: []string{"steps"}},
	})
}

func TestStartedRunState(t *testing.T) {
	s := given(t, started(step("a"), step("b", "a"), gated("g", 0)), dispatched(step("a"), 1, "root step"))
	v := runView(t, s)
	if v.ID != runID || v.Name != "nightly" || v.SwarmID != swarm || v.Status != workflow.StatusRunning || v.StepsTotal != 3 {
		t.Fatalf("view = %+v", v)
	}
	if !v.CreatedAt.Equal(t0) || !v.StartedAt.Equal(t0) || !v.FinishedAt.IsZero() {
		t.Errorf("times: created %v started %v finished %v", v.CreatedAt, v.StartedAt, v.FinishedAt)
	}
	want := map[string]workflow.StepStatus{"a": workflow.StepDispatched, "b": workflow.StepPending, "g": workflow.StepPending}
	for id, status := range want {
		if got := stepView(t, s, id); got.Status != status || got.Generation != 1 {
			t.Errorf("step %s: status %s generation %d, want %s 1", id, got.Status, got.Generation, status)
		}
	}
	if a := stepView(t, s, "a"); a.Key != key("a", 1) || !a.DispatchedAt.Equal(t0) {
		t.Errorf("step a = %+v", a)
	}
	if g := stepView(t, s, "g"); g.Approval == nil || g.Approval.Status != "" {
		t.Errorf("approval of g = %+v", g.Approval)
	}
}
