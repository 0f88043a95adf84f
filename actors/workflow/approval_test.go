package workflow_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/decision"
	"hive/actors/ledger"
	"hive/actors/workflow"
	hivev1 "hive/proto/hive/v1"
)

func awaiting(stepID string, deadline time.Time) *hivev1.StepAwaitingApproval {
	var d int64
	if !deadline.IsZero() {
		d = ns(deadline)
	}
	return &hivev1.StepAwaitingApproval{RunId: runID, StepId: stepID, Generation: 1, DeadlineUnixNano: d, AtUnixNano: ns(t0)}
}

func approved(stepID, by, comment string) *hivev1.StepApproved {
	return &hivev1.StepApproved{RunId: runID, StepId: stepID, By: by, Comment: comment, AtUnixNano: ns(t0)}
}

func rejected(stepID, by, comment, reason string) *hivev1.StepRejected {
	return &hivev1.StepRejected{RunId: runID, StepId: stepID, By: by, Comment: comment, Reason: reason, AtUnixNano: ns(t0)}
}

func TestApproval(t *testing.T) {
	a, g, h := step("a"), gated("g", time.Hour, "a"), gated("h", 0)
	run := []proto.Message{started(a, g, h), dispatched(a, 1, "root step"), awaiting("h", time.Time{})}
	with := func(evs ...proto.Message) []proto.Message { return plus(run, evs...) }
	waiting := with(completed("a", 1, `"A"`), awaiting("g", t0.Add(time.Hour)))
	timedOut := rejected("g", workflow.TimeoutBy, "", "approval timed out")
	timedOut.TimedOut = true
	timedOut.AtUnixNano = ns(t0.Add(time.Hour))
	timeoutFailed := runFailed("g", `step "g" approval timed out`)
	timeoutFailed.AtUnixNano = ns(t0.Add(time.Hour))
	runDecisions(t, []decisionCase{
		{
			name: "a gated step awaits approval when its dependencies complete", given: run, when: complete("a", 1, `"A"`),
			then: []proto.Message{completed("a", 1, `"A"`), awaiting("g", t0.Add(time.Hour))},
		},
		{
			name: "approve dispatches with the dependencies' outputs", given: waiting,
			when: workflow.Approve{StepID: "g", By: "alice", Comment: "ship it", At: t0},
			then: []proto.Message{approved("g", "alice", "ship it"), dispatched(g, 1, "approved by alice", `a="A"`)},
		},
		{name: "approve twice", given: plus(waiting, approved("g", "alice", "")), when: workflow.Approve{StepID: "g", By: "bob"}},
		{name: "approve a step not awaiting approval", given: run, when: workflow.Approve{StepID: "g"}, wantErr: workflow.ErrNotAwaitingApproval},
		{name: "approve a step that needs none", given: run, when: workflow.Approve{StepID: "a"}, wantErr: decision.ErrConflict},
		{name: "approve a rejected step", given: with(rejected("h", "bob", "", "rejected by bob")), when: workflow.Approve{StepID: "h"}, wantErr: workflow.ErrNotAwaitingApproval},
		{name: "approve an unknown step", given: run, when: workflow.Approve{StepID: "zz"}, wantErr: workflow.ErrStepNotFound},
		{name: "approve without a step", given: run, when: workflow.Approve{}, wantErr: decision.ErrInvalid, fields: []string{"step_id"}},
		{name: "approve in a cancelled run", given: with(&hivev1.RunCancelled{RunId: runID}), when: workflow.Approve{StepID: "h"}, wantErr: workflow.ErrRunFinished},
		{
			name: "approve while paused holds the step", given: with(&hivev1.RunPaused{RunId: runID}),
			when: workflow.Approve{StepID: "h", By: "alice", At: t0}, then: []proto.Message{approved("h", "alice", "")},
		},
		{
			name: "approve while over budget holds the step", given: with(&hivev1.RunBudgetExhausted{RunId: runID}),
			when: workflow.Approve{StepID: "h", By: "alice", At: t0}, then: []proto.Message{approved("h", "alice", "")},
		},
		{
			name: "reject fails the run", given: waiting, when: workflow.Reject{StepID: "g", By: "bob", Comment: "too risky", At: t0},
			then: []proto.Message{rejected("g", "bob", "too risky", "rejected by bob"), runFailed("g", `step "g" rejected by bob: too risky`)},
		},
		{name: "reject twice", given: with(rejected("h", "bob", "", "rejected by bob")), when: workflow.Reject{StepID: "h"}},
		{name: "reject an approved step", given: with(approved("h", "a", "")), when: workflow.Reject{StepID: "h"}, wantErr: workflow.ErrNotAwaitingApproval},
		{
			name: "reject with a comment too long", given: run, when: workflow.Reject{StepID: "h", Comment: string(make([]byte, 1001))},
			wantErr: decision.ErrInvalid, fields: []string{"comment"},
		},
		{
			name: "reject in a failed run fails only the step", given: with(failed("a", 1, "x"), runFailed("a", "x")),
			when: workflow.Reject{StepID: "h", By: "bob", At: t0}, then: []proto.Message{rejected("h", "bob", "", "rejected by bob")},
		},
		{name: "tick before the deadline", given: waiting, when: workflow.Tick{Now: t0.Add(time.Hour - 1)}},
		{
			name: "tick at the deadline rejects the step", given: waiting, when: workflow.Tick{Now: t0.Add(time.Hour)},
			then: []proto.Message{timedOut, timeoutFailed},
		},
		{name: "tick after approval", given: plus(waiting, approved("g", "alice", "")), when: workflow.Tick{Now: t0.Add(2 * time.Hour)}},
		{name: "tick with no deadline", given: run, when: workflow.Tick{Now: t0.Add(1000 * time.Hour)}},
	})
}

func TestApprovalView(t *testing.T) {
	s := given(t, started(step("a"), gated("g", time.Hour, "a")), dispatched(step("a"), 1, "root step"),
		completed("a", 1, "1"), awaiting("g", t0.Add(time.Hour)))
	if g := stepView(t, s, "g"); g.Status != workflow.StepAwaitingApproval || g.Approval.Status != "awaiting" || !g.Approval.Deadline.Equal(t0.Add(time.Hour)) {
		t.Fatalf("awaiting step = %+v %+v", g, g.Approval)
	}
	apply(t, s, approved("g", "alice", "ok"))
	g := stepView(t, s, "g")
	if g.Status != workflow.StepReady || g.Approval.Status != "approved" || g.Approval.By != "alice" || g.Approval.Comment != "ok" {
		t.Fatalf("approved step = %+v %+v", g, g.Approval)
	}
	tl := runView(t, s).Timeline
	if last := tl[len(tl)-1]; last.Kind != "step_approved" || last.By != "alice" || last.StepID != "g" {
		t.Errorf("last timeline entry = %+v", last)
	}
}

func TestDeadlines(t *testing.T) {
	tests := []struct {
		name string
		msg  proto.Message
		want []actors.Deadline
	}{
		{"awaiting with a timeout sets the timer", awaiting("g", t0.Add(time.Hour)), []actors.Deadline{{Key: "approval/g", At: t0.Add(time.Hour)}}},
		{"awaiting without a timeout sets none", awaiting("g", time.Time{}), nil},
		{"approval clears it", approved("g", "a", ""), []actors.Deadline{{Key: "approval/g"}}},
		{"rejection clears it", rejected("g", "a", "", "x"), []actors.Deadline{{Key: "approval/g"}}},
		{
			"cancel clears those awaiting", &hivev1.RunCancelled{RunId: runID, AwaitingApprovalStepIds: []string{"g", "h"}},
			[]actors.Deadline{{Key: "approval/g"}, {Key: "approval/h"}},
		},
		{"cancel with none awaiting", &hivev1.RunCancelled{RunId: runID}, nil},
		{"other events set none", completed("a", 1, "1"), nil},
		{"budget events set none", &hivev1.RunBudgetChanged{Budget: ledger.Budget{}.Proto()}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := workflow.Deadlines(tc.msg)
			if len(got) != len(tc.want) {
				t.Fatalf("Deadlines = %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i].Key != tc.want[i].Key || !got[i].At.Equal(tc.want[i].At) {
					t.Errorf("deadline %d = %v, want %v", i, got[i], tc.want[i])
				}
			}
		})
	}
}
