package workflow_test

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/ledger"
	"hive/actors/workflow"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// busyRun is a run with a step in most states: completed, dispatched,
// assigned, awaiting approval with a deadline, pending, added by a planner.
func busyRun(t *testing.T) *workflow.State {
	t.Helper()
	s := given(t)
	decide(t, s, workflow.Start{RunID: runID, Name: "busy", SwarmID: swarm, Budget: ledger.Budget{Tokens: 1000}, At: t0, Steps: []workflow.Step{
		step("a"), step("b", "a"), step("c", "a"), gated("g", time.Hour, "a"), planner("p"), step("z", "b", "c"),
	}})
	decide(t, s, completeUsing("a", `{"a":1}`, ledger.Usage{Model: "m", InputTokens: 300}))
	decide(t, s, assign("c", 1, 2, "agent-2"))
	decide(t, s, plan("p", `"plan"`, `[{"id":"x","depends_on":["p"],"priority":3},{"id":"y","depends_on":["x","z"]}]`))
	decide(t, s, workflow.Pause{By: "ops", Reason: "look", At: t0})
	decide(t, s, workflow.Resume{By: "ops", At: t0})
	return s
}

func TestSnapshotRoundTrip(t *testing.T) {
	s := busyRun(t)
	snap, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	typ, payload, err := events.Encode(snap)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := events.DecodePayload(typ, payload)
	if err != nil {
		t.Fatal(err)
	}
	var r workflow.State
	if err := r.Restore(msg, s.Version); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.View(), r.View()) {
		t.Fatalf("views differ:\noriginal %s\nrestored %s", viewJSON(t, s), viewJSON(t, &r))
	}
	future := []any{
		complete("b", 1, `"B"`), complete("c", 1, `"C"`), complete("x", 1, `"X"`),
		workflow.Approve{StepID: "g", By: "alice", At: t0}, workflow.Reject{StepID: "g", By: "bob", At: t0},
		workflow.Tick{Now: t0.Add(time.Hour)}, workflow.Pause{At: t0}, workflow.Cancel{At: t0},
		workflow.RetryStep{StepID: "b"}, workflow.RaiseBudget{Budget: ledger.Budget{Tokens: 5}, At: t0},
		completeUsing("b", "1", ledger.Usage{InputTokens: 700}), assign("b", 1, 1, "agent-3"),
		workflow.FailStep{Key: key("x", 1), Reason: "boom", At: t0}, startCmd(step("a")),
	}
	for _, c := range future {
		want, wantErr := s.Decide(c)
		got, gotErr := r.Decide(c)
		if (wantErr == nil) != (gotErr == nil) || (wantErr != nil && wantErr.Error() != gotErr.Error()) {
			t.Errorf("%T: restored err %v, original %v", c, gotErr, wantErr)
		}
		checkEvents(t, got, want)
	}
	// and the restored state keeps evolving like the original
	evs := decide(t, s, complete("b", 1, `"B"`))
	apply(t, &r, evs...)
	evs = decide(t, s, complete("c", 1, `"C"`))
	apply(t, &r, evs...)
	if !reflect.DeepEqual(s.View(), r.View()) {
		t.Fatalf("views differ after more events:\noriginal %s\nrestored %s", viewJSON(t, s), viewJSON(t, &r))
	}
	if z := stepView(t, &r, "z"); z.Status != workflow.StepDispatched {
		t.Errorf("z after b and c completed on the restored state: %s", z.Status)
	}
}

func TestRestoreRejectsOtherMessages(t *testing.T) {
	var s workflow.State
	if err := s.Restore(&hivev1.RunPaused{}, 1); err == nil {
		t.Error("restored from a RunPaused")
	}
	bad := &hivev1.WorkflowSnapshot{RunId: runID, Steps: []*hivev1.WorkflowStepState{{Step: &hivev1.WorkflowStep{Id: "a", DependsOn: []string{"ghost"}}}}}
	if err := s.Restore(bad, 1); err == nil {
		t.Error("restored a snapshot with a dangling dependency")
	}
}

func TestViewSharesNothing(t *testing.T) {
	s := busyRun(t)
	before := viewJSON(t, s)
	v := runView(t, s)
	for i := range v.Steps {
		for j := range v.Steps[i].Output {
			v.Steps[i].Output[j] = 'X'
		}
		for j := range v.Steps[i].DependsOn {
			v.Steps[i].DependsOn[j] = "X"
		}
		if v.Steps[i].Approval != nil {
			v.Steps[i].Approval.By = "X"
		}
	}
	for i := range v.Timeline {
		v.Timeline[i].Message = "X"
	}
	if after := viewJSON(t, s); after != before {
		t.Fatal("changing a view changed the state")
	}
}

func TestViewJSON(t *testing.T) {
	s := busyRun(t)
	var v map[string]any
	if err := json.Unmarshal([]byte(viewJSON(t, s)), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"id", "name", "swarm_id", "status", "budget", "usage", "created_at", "started_at", "steps", "timeline"} {
		if _, ok := v[k]; !ok {
			t.Errorf("view has no %q", k)
		}
	}
	if _, ok := v["finished_at"]; ok {
		t.Error("a running run shows finished_at")
	}
	a := v["steps"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "depends_on", "status", "generation", "key", "agent_id", "task_id", "output", "ready_at", "dispatched_at", "completed_at"} {
		if _, ok := a[k]; !ok {
			t.Errorf("step view has no %q: %v", k, a)
		}
	}
	if out, _ := json.Marshal(a["output"]); string(out) != `{"a":1}` {
		t.Errorf("output = %s, want raw JSON", out)
	}
}

func TestTimelineKeepsTheNewest(t *testing.T) {
	s := given(t, started(step("a")))
	for i := 0; i < 2*workflow.MaxTimeline+5; i++ {
		apply(t, s, paused("ops", "again"), resumed("ops", "again"))
	}
	v := runView(t, s)
	if len(v.Timeline) != workflow.MaxTimeline || v.TimelineDropped != uint64(1+2*(2*workflow.MaxTimeline+5)-workflow.MaxTimeline) {
		t.Fatalf("timeline holds %d, dropped %d", len(v.Timeline), v.TimelineDropped)
	}
	if last := v.Timeline[len(v.Timeline)-1]; last.Kind != "run_resumed" {
		t.Errorf("newest entry = %+v", last)
	}
	snap, _ := s.Snapshot()
	var r workflow.State
	if err := r.Restore(proto.Clone(snap), s.Version); err != nil || !reflect.DeepEqual(r.View(), s.View()) {
		t.Fatalf("restored timeline differs: %v", err)
	}
}
