package workflow_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	"hive/actors/workflow"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

const (
	runID = "01890a5d-ac96-774b-bcce-b302099a8057"
	swarm = "swarm-1"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func ns(t time.Time) int64 { return t.UnixNano() }

// given rebuilds a run's state from events, as the runtime does.
func given(t testing.TB, evs ...proto.Message) *workflow.State {
	t.Helper()
	s := &workflow.State{}
	apply(t, s, evs...)
	return s
}

// apply applies events to s after its current version.
func apply(t testing.TB, s *workflow.State, evs ...proto.Message) {
	t.Helper()
	for _, m := range evs {
		env := &events.Envelope{Version: s.Version + 1, Type: string(m.ProtoReflect().Descriptor().FullName()), RecordedAt: t0}
		if err := s.Apply(env, m); err != nil {
			t.Fatalf("apply %T: %v", m, err)
		}
	}
}

// step is a step with an input, and deps.
func step(id string, deps ...string) workflow.Step {
	return workflow.Step{ID: id, Input: json.RawMessage(`"` + id + `"`), DependsOn: deps, Retry: workflow.RetryPolicy{MaxAttempts: 1}}
}

// gated is a step that needs approval, with an approval timeout.
func gated(id string, timeout time.Duration, deps ...string) workflow.Step {
	s := step(id, deps...)
	s.Approval, s.ApprovalTimeout = true, timeout
	return s
}

func startCmd(steps ...workflow.Step) workflow.Start {
	return workflow.Start{RunID: runID, Name: "nightly", SwarmID: swarm, Steps: steps, At: t0}
}

func started(steps ...workflow.Step) *hivev1.RunStarted {
	return startedWith(ledger.Budget{}, steps...)
}

func startedWith(b ledger.Budget, steps ...workflow.Step) *hivev1.RunStarted {
	m := &hivev1.RunStarted{RunId: runID, Name: "nightly", SwarmId: swarm, Budget: b.Proto(), AtUnixNano: ns(t0)}
	for _, s := range steps {
		m.Steps = append(m.Steps, s.Proto())
	}
	return m
}

func key(stepID string, gen int) string { return workflow.TaskKey(runID, stepID, gen) }

// dispatched is the dispatch of step st (generation gen) at t0 with input
// built from its own input and deps given as "id=json" pairs.
func dispatched(st workflow.Step, gen int, reason string, deps ...string) *hivev1.StepDispatched {
	return &hivev1.StepDispatched{
		RunId: runID, SwarmId: swarm, StepId: st.ID, Generation: int32(gen), Key: key(st.ID, gen),
		Capability: st.Capability, Input: taskInput(string(st.Input), deps...), Priority: int32(st.Priority),
		MaxAttempts: int32(max(st.Retry.MaxAttempts, 1)), BackoffNanos: int64(st.Retry.Backoff), TimeoutNanos: int64(st.Timeout),
		Planner: st.Planner, Reason: reason, AtUnixNano: ns(t0),
	}
}

func taskInput(input string, deps ...string) []byte {
	var b strings.Builder
	b.WriteString(`{"input":` + input + `,"deps":{`)
	for i, d := range deps {
		id, out, _ := strings.Cut(d, "=")
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + id + `":` + out)
	}
	b.WriteString("}}")
	return []byte(b.String())
}

func completed(stepID string, gen int, output string) *hivev1.StepCompleted {
	return &hivev1.StepCompleted{RunId: runID, StepId: stepID, Generation: int32(gen), Key: key(stepID, gen),
		TaskId: "task-" + stepID, AgentId: "agent-1", Output: []byte(output), Usage: (&ledger.Usage{}).Proto(), AtUnixNano: ns(t0)}
}

func complete(stepID string, gen int, output string) workflow.CompleteStep {
	return workflow.CompleteStep{Key: key(stepID, gen), TaskID: "task-" + stepID, AgentID: "agent-1", Output: json.RawMessage(output), At: t0}
}

func failed(stepID string, gen int, reason string) *hivev1.StepFailed {
	return &hivev1.StepFailed{RunId: runID, StepId: stepID, Generation: int32(gen), Key: key(stepID, gen),
		TaskId: "task-" + stepID, AgentId: "agent-1", Reason: reason, Usage: (&ledger.Usage{}).Proto(), AtUnixNano: ns(t0)}
}

func runFailed(stepID, reason string) *hivev1.RunFailed {
	return &hivev1.RunFailed{RunId: runID, StepId: stepID, Reason: reason, AtUnixNano: ns(t0)}
}

func runCompleted(n int) *hivev1.RunCompleted {
	return &hivev1.RunCompleted{RunId: runID, Usage: (&ledger.Usage{}).Proto(), Reason: fmt.Sprintf("all %d steps completed", n), AtUnixNano: ns(t0)}
}

// decisionCase is one given/when/then case: events, a command, and the
// events it decides or the error it fails with (and the invalid fields).
type decisionCase struct {
	name    string
	given   []proto.Message
	when    any
	then    []proto.Message
	wantErr error
	fields  []string
}

// runDecisions runs cases. It also checks that Decide leaves the state as
// it was and that the decided events apply.
func runDecisions(t *testing.T, tests []decisionCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := given(t, tc.given...)
			before := viewJSON(t, s)
			got, err := s.Decide(tc.when)
			if after := viewJSON(t, s); after != before {
				t.Fatalf("Decide changed the state:\nbefore %s\nafter  %s", before, after)
			}
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || got != nil {
					t.Fatalf("Decide = %v, %v; want error %v", got, err, tc.wantErr)
				}
				checkFields(t, err, tc.fields)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			checkEvents(t, got, tc.then)
			apply(t, s, got...)
		})
	}
}

func checkEvents(t testing.TB, got, want []proto.Message) {
	t.Helper()
	for i := 0; i < max(len(got), len(want)); i++ {
		switch {
		case i >= len(got):
			t.Errorf("event %d missing: want %T %v", i, want[i], want[i])
		case i >= len(want):
			t.Errorf("event %d unexpected: %T %v", i, got[i], got[i])
		case !proto.Equal(got[i], want[i]):
			t.Errorf("event %d:\n got  %T %v\n want %T %v", i, got[i], got[i], want[i], want[i])
		}
	}
}

func checkFields(t testing.TB, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		return
	}
	var inv *decision.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v, want an InvalidError", err)
	}
	got := make([]string, len(inv.Fields))
	for i, f := range inv.Fields {
		got[i] = f.Field
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("invalid fields = %v, want %v (%v)", got, want, err)
	}
}

func viewJSON(t testing.TB, s *workflow.State) string {
	t.Helper()
	b, err := json.Marshal(s.View())
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func runView(t testing.TB, s *workflow.State) workflow.RunView {
	t.Helper()
	v, ok := s.View().(workflow.RunView)
	if !ok {
		t.Fatalf("View returned %T", s.View())
	}
	return v
}

// stepView returns the view of one step.
func stepView(t testing.TB, s *workflow.State, id string) workflow.StepView {
	t.Helper()
	for _, st := range runView(t, s).Steps {
		if st.ID == id {
			return st
		}
	}
	t.Fatalf("no step %q", id)
	return workflow.StepView{}
}

// decide decides c on s, fails the test on error, and applies the events.
func decide(t testing.TB, s *workflow.State, c any) []proto.Message {
	t.Helper()
	evs, err := s.Decide(c)
	if err != nil {
		t.Fatalf("Decide(%T): %v", c, err)
	}
	apply(t, s, evs...)
	return evs
}

func TestUnknownCommandIsInvalid(t *testing.T) {
	runDecisions(t, []decisionCase{
		{name: "unknown command", when: struct{}{}, wantErr: decision.ErrInvalid},
		{name: "unknown command on a started run", given: []proto.Message{started(step("a"))}, when: "hello", wantErr: decision.ErrInvalid},
	})
}

func TestCommandsOnARunNeverStarted(t *testing.T) {
	commands := []any{
		workflow.Approve{StepID: "a"}, workflow.Reject{StepID: "a"}, workflow.Tick{Now: t0},
		workflow.RecordAssignment{Key: key("a", 1)}, complete("a", 1, "1"), workflow.FailStep{Key: key("a", 1)},
		workflow.Pause{}, workflow.Resume{}, workflow.Cancel{}, workflow.RetryStep{StepID: "a"},
		workflow.RaiseBudget{Budget: ledger.Budget{Tokens: 1}},
	}
	var tests []decisionCase
	for _, c := range commands {
		tests = append(tests, decisionCase{name: c.(interface{ CommandName() string }).CommandName(), when: c, wantErr: workflow.ErrRunNotFound})
	}
	runDecisions(t, tests)
}

func TestApplyRejectsUnknownEventsAndSteps(t *testing.T) {
	s := given(t, started(step("a")))
	env := &events.Envelope{Version: 2, Type: "x"}
	if err := s.Apply(env, &hivev1.AgentLost{}); !errors.Is(err, events.ErrUnknownType) {
		t.Errorf("unknown event type: err = %v", err)
	}
	if err := s.Apply(env, completed("nope", 1, "1")); err == nil {
		t.Error("an event about an unknown step applied")
	}
	if s.Version != 1 {
		t.Errorf("version = %d after failed applies, want 1", s.Version)
	}
}

// plus is base followed by evs, in a new slice: cases built from one base
// must not share an array that a later append overwrites.
func plus(base []proto.Message, evs ...proto.Message) []proto.Message {
	out := make([]proto.Message, 0, len(base)+len(evs))
	return append(append(out, base...), evs...)
}
