package swarm_test

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

func memberLeft(n int, reason string) *hivev1.SwarmMemberLeft {
	return &hivev1.SwarmMemberLeft{SwarmId: sid, AgentId: ag(n), Reason: reason, AtUnixNano: ns(t0), Dissolved: true}
}

func dissolved(reason string, members, tasks, proposals uint32) *hivev1.SwarmDissolved {
	return &hivev1.SwarmDissolved{SwarmId: sid, Reason: reason, Forced: tasks > 0, MembersLeft: members, TasksCancelled: tasks,
		ProposalsClosed: proposals, AtUnixNano: ns(t0)}
}

func TestDissolve(t *testing.T) {
	busy := []proto.Message{created(swarm.Mesh), joined(1, 1), joined(2, 1), queued(1, "code"), queued(2, ""), assignedTo(2, 1, 1, t0)}
	runQueued := &hivev1.TaskQueued{SwarmId: sid, TaskId: tid(1), Seq: 1, Key: "r/s/1", RunId: "r", StepId: "s", MaxAttempts: 1, AtUnixNano: ns(t0)}
	closed := &hivev1.ProposalDecided{SwarmId: sid, ProposalId: pid, Reason: "swarm dissolved: merged", Rule: "majority", Quorum: 0.5,
		Votes: []*hivev1.ProposalDecided_Ballot{ballot(1, "a", 1)}, Tallies: tallies(1, 0, 0, 1, 0, 0), Electorate: 2, Early: true, AtUnixNano: ns(t0)}
	runCases(t, []decisionCase{
		{
			name:  "an idle swarm: its members leave",
			given: []proto.Message{created(swarm.Star), joined(1, 1), joined(2, 1), leaderChanged(ag(1), "", "first member of a star swarm")},
			when:  swarm.Dissolve{Reason: "merged", At: t0},
			then: []proto.Message{memberLeft(1, "swarm dissolved: merged"), memberLeft(2, "swarm dissolved: merged"),
				dissolved("merged", 2, 0, 0)},
		},
		{
			name:  "no reason",
			given: []proto.Message{created(swarm.Mesh)},
			when:  swarm.Dissolve{At: t0},
			then:  []proto.Message{dissolved("", 0, 0, 0)},
		},
		{
			name:  "open proposals close without an outcome",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), joined(2, 1), opened(swarm.Majority, 0.5), cast(1, "a", 1)},
			when:  swarm.Dissolve{Reason: "merged", At: t0},
			then: []proto.Message{closed, memberLeft(1, "swarm dissolved: merged"), memberLeft(2, "swarm dissolved: merged"),
				dissolved("merged", 2, 0, 1)},
		},
		{
			name: "unfinished tasks need force", given: busy, when: swarm.Dissolve{Reason: "merged", At: t0},
			wantErr: swarm.ErrUnfinishedTasks, msg: "2 unfinished tasks",
		},
		{
			name: "unfinished tasks are a conflict", given: busy, when: swarm.Dissolve{At: t0},
			wantErr: decision.ErrConflict,
		},
		{
			name:  "force cancels the unfinished tasks",
			given: busy,
			when:  swarm.Dissolve{Reason: "merged", Force: true, At: t0},
			then: []proto.Message{
				&hivev1.TaskCancelled{SwarmId: sid, TaskId: tid(1), Reason: "swarm dissolved: merged", AtUnixNano: ns(t0), SwarmDissolved: true},
				&hivev1.TaskCancelled{SwarmId: sid, TaskId: tid(2), AgentId: ag(1), Attempt: 1, Reason: "swarm dissolved: merged", AtUnixNano: ns(t0), SwarmDissolved: true},
				memberLeft(1, "swarm dissolved: merged"), memberLeft(2, "swarm dissolved: merged"),
				dissolved("merged", 2, 2, 0),
			},
		},
		{
			name:  "a run's task cancelled names its run",
			given: []proto.Message{created(swarm.Mesh), runQueued},
			when:  swarm.Dissolve{Force: true, At: t0},
			then: []proto.Message{
				&hivev1.TaskCancelled{SwarmId: sid, TaskId: tid(1), RunId: "r", StepId: "s", Key: "r/s/1", Reason: "swarm dissolved", AtUnixNano: ns(t0), SwarmDissolved: true},
				dissolved("", 0, 1, 0),
			},
		},
		{name: "dissolved already", given: []proto.Message{created(swarm.Mesh), dissolved("", 0, 0, 0)}, when: swarm.Dissolve{Force: true, At: t0}},
		{name: "a long reason", given: []proto.Message{created(swarm.Mesh)}, when: swarm.Dissolve{Reason: string(make([]byte, 1001)), At: t0}, wantErr: decision.ErrInvalid, fields: []string{"reason"}},
		{name: "no time", given: []proto.Message{created(swarm.Mesh)}, when: swarm.Dissolve{}, wantErr: decision.ErrInvalid, fields: []string{"at"}},
		{name: "a swarm never created", when: swarm.Dissolve{At: t0}, wantErr: swarm.ErrSwarmNotFound},
	})
}

func TestADissolvedSwarm(t *testing.T) {
	gone := []proto.Message{created(swarm.Mesh), joined(1, 1), memberLeft(1, "swarm dissolved"), dissolved("", 1, 0, 0)}
	refused := []any{
		swarm.AddMember{AgentID: ag(1), At: t0},
		swarm.SubmitTask{At: t0},
		swarm.Propose{ProposalID: pid, Question: "q", Options: []string{"a", "b"}, Rule: swarm.Majority, Deadline: at(time.Hour), At: t0},
		swarm.Vote{ProposalID: pid, AgentID: ag(1), Option: "a", At: t0},
		swarm.RaiseBudget{At: t0},
		swarm.UpdateSettings{MinSize: ptr(1), At: t0},
	}
	for _, c := range refused {
		t.Run("refuses "+c.(interface{ CommandName() string }).CommandName(), func(t *testing.T) {
			s := given(t, gone...)
			if got, err := decideOnly(t, &s, c); !errors.Is(err, swarm.ErrDissolved) || !errors.Is(err, decision.ErrConflict) || got != nil {
				t.Fatalf("Decide = %v, %v; want ErrDissolved", got, err)
			}
		})
	}
	ignored := []any{
		swarm.RemoveMember{AgentID: ag(1), At: t0},
		swarm.MemberLost{AgentID: ag(1), At: t0},
		swarm.MemberRecovered{AgentID: ag(1), At: t0},
		swarm.MemberDraining{AgentID: ag(1)},
		swarm.CancelRunTasks{RunID: "r", At: t0},
		swarm.PauseRun{RunID: "r"},
		swarm.ResumeRun{RunID: "r", At: t0},
		swarm.Tick{Now: at(time.Hour)},
		swarm.Dissolve{Reason: "again", Force: true, At: t0},
	}
	for _, c := range ignored {
		t.Run("ignores "+c.(interface{ CommandName() string }).CommandName(), func(t *testing.T) {
			s := given(t, gone...)
			if got, err := decideOnly(t, &s, c); err != nil || got != nil {
				t.Fatalf("Decide = %v, %v; want nothing", got, err)
			}
		})
	}
	s := given(t, gone...)
	if _, err := s.Decide(swarm.Create{Name: name, Topology: swarm.Mesh, At: t0}); !errors.Is(err, swarm.ErrAlreadyExists) {
		t.Fatalf("creating the name of a dissolved swarm: %v, want ErrAlreadyExists", err)
	}
	v := view(&s)
	r := snapshotRoundTrip(t, &s, gone)
	if v.Status != swarm.StatusDissolved || len(v.Members) != 0 || v.DissolvedAt != t0 || view(&r).Status != swarm.StatusDissolved || view(&r).DissolvedAt != t0 {
		t.Fatalf("view = %+v, restored %+v", v, view(&r))
	}
}
