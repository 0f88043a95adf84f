package reactions_test

import (
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/reactions"
	"hive/actors/swarm"
	"hive/actors/workflow"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// TestRulesOfADissolvedSwarm: a dissolved swarm's members are told to
// leave, and its runs' steps whose tasks it cancelled, or whose tasks it
// refused, fail.
func TestRulesOfADissolvedSwarm(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	env := &events.Envelope{Version: 7, RecordedAt: at}
	toAgent := func(id string) actors.Ref { return actors.Ref{Kind: agent.Kind, ID: id} }
	toRun := func(id string) actors.Ref { return actors.Ref{Kind: workflow.Kind, ID: id} }
	cases := []struct {
		name string
		msg  proto.Message
		want []reactions.Reaction
	}{
		{
			name: "a member of a dissolved swarm leaves",
			msg:  &hivev1.SwarmMemberLeft{SwarmId: "s", AgentId: "a", Reason: "swarm dissolved: merged", Dissolved: true},
			want: []reactions.Reaction{{To: toAgent("a"), Body: agent.LeaveSwarm{SwarmID: "s", Reason: "swarm dissolved: merged"}}},
		},
		{
			name: "a member that left by itself is not told again",
			msg:  &hivev1.SwarmMemberLeft{SwarmId: "s", AgentId: "a", Reason: "rebalancing"},
		},
		{
			name: "a run's task cancelled by the dissolution fails its step",
			msg: &hivev1.TaskCancelled{SwarmId: "s", TaskId: "s.1", AgentId: "a", RunId: "r", StepId: "x", Key: "r/x/1",
				Reason: "swarm dissolved", SwarmDissolved: true},
			want: []reactions.Reaction{
				{To: toAgent("a"), Body: agent.FinishTask{TaskID: "s.1", SwarmID: "s", SwarmVersion: 7, Outcome: agent.OutcomeCancelled, At: at}},
				{To: toRun("r"), Body: workflow.FailStep{Key: "r/x/1", TaskID: "s.1", AgentID: "a", Reason: "swarm dissolved", At: at}},
			},
		},
		{
			name: "a run's task cancelled by its run tells only the agent",
			msg:  &hivev1.TaskCancelled{SwarmId: "s", TaskId: "s.1", AgentId: "a", RunId: "r", Key: "r/x/1", Reason: "cancelled"},
			want: []reactions.Reaction{
				{To: toAgent("a"), Body: agent.FinishTask{TaskID: "s.1", SwarmID: "s", SwarmVersion: 7, Outcome: agent.OutcomeCancelled, At: at}},
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := reactions.Rules(env, tc.msg); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("Rules = %+v, want %+v", got, tc.want)
			}
		})
	}

	dispatched := &hivev1.StepDispatched{RunId: "r", StepId: "x", Key: "r/x/1", SwarmId: "s"}
	rs := reactions.Rules(env, dispatched)
	if len(rs) != 1 || rs[0].Compensate == nil {
		t.Fatalf("Rules(StepDispatched) = %+v, want a submission with a compensation", rs)
	}
	comp := rs[0].Compensate(swarm.ErrDissolved)
	want := []reactions.Reaction{{To: toRun("r"), Body: workflow.FailStep{Key: "r/x/1",
		Reason: "the swarm refused the task: " + swarm.ErrDissolved.Error(), At: at}}}
	if !reflect.DeepEqual(comp, want) {
		t.Fatalf("compensation = %+v, want %+v", comp, want)
	}
}
