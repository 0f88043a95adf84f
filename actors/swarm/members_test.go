package swarm_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

func withMinSize(c *hivev1.SwarmCreated, n uint32) *hivev1.SwarmCreated {
	c.MinSize = n
	return c
}

func withMaxSize(c *hivev1.SwarmCreated, n uint32) *hivev1.SwarmCreated {
	c.MaxSize = n
	return c
}

func leaderChanged(to, from string, reason string) *hivev1.SwarmLeaderChanged {
	return &hivev1.SwarmLeaderChanged{SwarmId: sid, LeaderId: to, PreviousLeaderId: from, Reason: reason, AtUnixNano: ns(t0)}
}

func retrying(q *hivev1.TaskQueued, attempts int32, backoff time.Duration) *hivev1.TaskQueued {
	q.MaxAttempts, q.BackoffNanos = attempts, int64(backoff)
	return q
}

// fullSwarm is a mesh swarm without a MaxSize, with MaxMembers members.
func fullSwarm() []proto.Message {
	evs := []proto.Message{created(swarm.Mesh)}
	for n := range swarm.MaxMembers {
		evs = append(evs, joined(n+1, 1))
	}
	return evs
}

func TestAddMember(t *testing.T) {
	runCases(t, []decisionCase{
		{
			name:  "join",
			given: []proto.Message{created(swarm.Mesh)},
			when:  swarm.AddMember{AgentID: ag(1), Capabilities: []string{"code", "review"}, MaxConcurrency: 3, At: t0},
			then:  []proto.Message{joined(1, 3, "code", "review")},
		},
		{
			name:  "an agent's track record joins with it",
			given: []proto.Message{created(swarm.Mesh)},
			when:  swarm.AddMember{AgentID: ag(1), Record: swarm.Record{Completed: 8, Failed: 2, CompletedDuration: time.Minute}, At: t0},
			then: []proto.Message{func() proto.Message {
				j := joined(1, 1)
				j.Record = &hivev1.TrackRecord{Completed: 8, Failed: 2, CompletedDurationNanos: int64(time.Minute)}
				return j
			}()},
		},
		{
			name:  "max concurrency defaults to one",
			given: []proto.Message{created(swarm.Mesh)},
			when:  swarm.AddMember{AgentID: ag(1), At: t0},
			then:  []proto.Message{joined(1, 1)},
		},
		{
			name:  "a member already is not added again",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1)},
			when:  swarm.AddMember{AgentID: ag(1), Capabilities: []string{"other"}, At: t0},
		},
		{
			name:    "a full swarm",
			given:   []proto.Message{withMaxSize(created(swarm.Mesh), 1), joined(1, 1)},
			when:    swarm.AddMember{AgentID: ag(2), At: t0},
			wantErr: swarm.ErrSwarmFull, msg: "1 members",
		},
		{
			name:    "a swarm without a maximum admits MaxMembers",
			given:   fullSwarm(),
			when:    swarm.AddMember{AgentID: ag(swarm.MaxMembers + 1), At: t0},
			wantErr: swarm.ErrSwarmFull, msg: fmt.Sprintf("%d members", swarm.MaxMembers),
		},
		{
			name:  "the first member of a star swarm leads it",
			given: []proto.Message{created(swarm.Star)},
			when:  swarm.AddMember{AgentID: ag(1), At: t0},
			then:  []proto.Message{joined(1, 1), leaderChanged(ag(1), "", "first member of a star swarm")},
		},
		{
			name:  "the first member of a hierarchical swarm leads it",
			given: []proto.Message{created(swarm.Hierarchical)},
			when:  swarm.AddMember{AgentID: ag(1), At: t0},
			then:  []proto.Message{joined(1, 1), leaderChanged(ag(1), "", "first member of a hierarchical swarm")},
		},
		{
			name:  "a mesh swarm needs no leader",
			given: []proto.Message{created(swarm.Mesh)},
			when:  swarm.AddMember{AgentID: ag(1), At: t0},
			then:  []proto.Message{joined(1, 1)},
		},
		{
			name:  "a new member takes the queued task",
			given: []proto.Message{created(swarm.Mesh), queued(1, "")},
			when:  swarm.AddMember{AgentID: ag(1), At: at(time.Second)},
			then: []proto.Message{
				&hivev1.SwarmMemberJoined{SwarmId: sid, AgentId: ag(1), MaxConcurrency: 1, AtUnixNano: ns(at(time.Second))},
				assignedTo(1, 1, 1, at(time.Second)),
			},
		},
		{
			name:  "a forming swarm assigns nothing",
			given: []proto.Message{withMinSize(created(swarm.Mesh), 2), queued(1, "")},
			when:  swarm.AddMember{AgentID: ag(1), At: t0},
			then:  []proto.Message{joined(1, 1)},
		},
		{
			name:  "the member that completes the swarm starts assignment",
			given: []proto.Message{withMinSize(created(swarm.Mesh), 2), queued(1, ""), joined(1, 1)},
			when:  swarm.AddMember{AgentID: ag(2), At: t0},
			then:  []proto.Message{joined(2, 1), assignedTo(1, 1, 1, t0)},
		},
		{name: "agent id not a UUID", given: []proto.Message{created(swarm.Mesh)}, when: swarm.AddMember{AgentID: "x", At: t0}, wantErr: decision.ErrInvalid, fields: []string{"agent_id"}},
		{
			name:    "bad capabilities and concurrency",
			given:   []proto.Message{created(swarm.Mesh)},
			when:    swarm.AddMember{AgentID: ag(1), Capabilities: []string{"a", "", "b c", "a"}, MaxConcurrency: -1},
			wantErr: decision.ErrInvalid, fields: []string{"capabilities[1]", "capabilities[2]", "capabilities[3]", "max_concurrency", "at"},
		},
	})
}

func TestRemoveMember(t *testing.T) {
	task := func() *hivev1.TaskQueued { return retrying(queued(1, ""), 2, 0) }
	runCases(t, []decisionCase{
		{
			name:  "leave",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1)},
			when:  swarm.RemoveMember{AgentID: ag(1), Reason: "retired", At: t0},
			then:  []proto.Message{&hivev1.SwarmMemberLeft{SwarmId: sid, AgentId: ag(1), Reason: "retired", AtUnixNano: ns(t0)}},
		},
		{
			name:  "not a member",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1)},
			when:  swarm.RemoveMember{AgentID: ag(2), At: t0},
		},
		{
			name:  "the next member in join order succeeds the leader",
			given: []proto.Message{created(swarm.Star), joined(1, 1), leaderChanged(ag(2), "", ""), joined(2, 1), joined(3, 1)},
			when:  swarm.RemoveMember{AgentID: ag(2), At: t0},
			then: []proto.Message{
				&hivev1.SwarmMemberLeft{SwarmId: sid, AgentId: ag(2), AtUnixNano: ns(t0)},
				leaderChanged(ag(3), ag(2), "the leader left; the next member in join order leads"),
			},
		},
		{
			name:  "succession wraps around the join order",
			given: []proto.Message{created(swarm.Star), joined(1, 1), joined(2, 1), leaderChanged(ag(2), "", "")},
			when:  swarm.RemoveMember{AgentID: ag(2), At: t0},
			then: []proto.Message{
				&hivev1.SwarmMemberLeft{SwarmId: sid, AgentId: ag(2), AtUnixNano: ns(t0)},
				leaderChanged(ag(1), ag(2), "the leader left; the next member in join order leads"),
			},
		},
		{
			name:  "the last leader leaves no leader",
			given: []proto.Message{created(swarm.Star), joined(1, 1), leaderChanged(ag(1), "", "")},
			when:  swarm.RemoveMember{AgentID: ag(1), At: t0},
			then: []proto.Message{
				&hivev1.SwarmMemberLeft{SwarmId: sid, AgentId: ag(1), AtUnixNano: ns(t0)},
				leaderChanged("", ag(1), "the leader left; the next member in join order leads"),
			},
		},
		{
			name:  "a leaving member's task goes to another member",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), task(), assignedTo(1, 1, 1, t0), joined(2, 1)},
			when:  swarm.RemoveMember{AgentID: ag(1), Reason: "scale down", At: at(time.Minute)},
			then: []proto.Message{
				&hivev1.SwarmMemberLeft{SwarmId: sid, AgentId: ag(1), Reason: "scale down", AtUnixNano: ns(at(time.Minute))},
				&hivev1.TaskAttemptFailed{
					SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1, Cause: swarm.CauseAgentLeft,
					Reason: "agent left the swarm: scale down", RetryAtUnixNano: ns(at(time.Minute)), AtUnixNano: ns(at(time.Minute)),
				},
				&hivev1.TaskRequeued{SwarmId: sid, TaskId: tid(1), Attempt: 1, AtUnixNano: ns(at(time.Minute))},
				assignedTo(1, 2, 2, at(time.Minute)),
			},
		},
		{
			name:  "a leaving member's last attempt fails the task",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), queued(1, ""), assignedTo(1, 1, 1, t0)},
			when:  swarm.RemoveMember{AgentID: ag(1), At: t0},
			then: []proto.Message{
				&hivev1.SwarmMemberLeft{SwarmId: sid, AgentId: ag(1), AtUnixNano: ns(t0)},
				&hivev1.TaskFailed{
					SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1, Failure: &hivev1.TaskFailure{Cause: swarm.CauseAgentLeft,
						Reason: "agent left the swarm"}, AtUnixNano: ns(t0),
				},
			},
		},
		{name: "reason too long", given: []proto.Message{created(swarm.Mesh)}, when: swarm.RemoveMember{AgentID: ag(1), Reason: strings.Repeat("r", 1001), At: t0}, wantErr: decision.ErrInvalid, fields: []string{"reason"}},
	})
}

func TestMemberStatus(t *testing.T) {
	lost := &hivev1.SwarmMemberLost{SwarmId: sid, AgentId: ag(1), AtUnixNano: ns(t0)}
	draining := &hivev1.SwarmMemberDraining{SwarmId: sid, AgentId: ag(1)}
	runCases(t, []decisionCase{
		{
			name:  "lost",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1)},
			when:  swarm.MemberLost{AgentID: ag(1), At: t0},
			then:  []proto.Message{lost},
		},
		{name: "lost again", given: []proto.Message{created(swarm.Mesh), joined(1, 1), lost}, when: swarm.MemberLost{AgentID: ag(1), At: t0}},
		{name: "lost, not a member", given: []proto.Message{created(swarm.Mesh)}, when: swarm.MemberLost{AgentID: ag(1), At: t0}},
		{
			name:  "a lost member's task is released",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), retrying(queued(1, ""), 3, time.Second), assignedTo(1, 1, 1, t0)},
			when:  swarm.MemberLost{AgentID: ag(1), At: t0},
			then: []proto.Message{lost, &hivev1.TaskAttemptFailed{
				SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1, Cause: swarm.CauseAgentLost,
				Reason: "agent lost", RetryAtUnixNano: ns(at(time.Second)), AtUnixNano: ns(t0), ExcludeAgent: true,
			}},
		},
		{
			name:  "a lost member gets no task",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), lost},
			when:  swarm.SubmitTask{At: t0},
			then:  []proto.Message{&hivev1.TaskQueued{SwarmId: sid, TaskId: tid(1), Seq: 1, MaxAttempts: 1, AtUnixNano: ns(t0)}},
		},
		{
			name:  "recovered, it takes the queued task",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), lost, queued(1, "")},
			when:  swarm.MemberRecovered{AgentID: ag(1), At: at(time.Second)},
			then: []proto.Message{
				&hivev1.SwarmMemberRecovered{SwarmId: sid, AgentId: ag(1), AtUnixNano: ns(at(time.Second))},
				assignedTo(1, 1, 1, at(time.Second)),
			},
		},
		{name: "recovered, not lost", given: []proto.Message{created(swarm.Mesh), joined(1, 1)}, when: swarm.MemberRecovered{AgentID: ag(1), At: t0}},
		{name: "recovered, not a member", given: []proto.Message{created(swarm.Mesh)}, when: swarm.MemberRecovered{AgentID: ag(1), At: t0}},
		{
			name:  "draining",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1)},
			when:  swarm.MemberDraining{AgentID: ag(1)},
			then:  []proto.Message{draining},
		},
		{name: "draining again", given: []proto.Message{created(swarm.Mesh), joined(1, 1), draining}, when: swarm.MemberDraining{AgentID: ag(1)}},
		{
			name:  "a recovered draining member gets no task",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), draining, lost, queued(1, "")},
			when:  swarm.MemberRecovered{AgentID: ag(1), At: t0},
			then:  []proto.Message{&hivev1.SwarmMemberRecovered{SwarmId: sid, AgentId: ag(1), AtUnixNano: ns(t0)}},
		},
		{name: "lost without a time", given: []proto.Message{created(swarm.Mesh)}, when: swarm.MemberLost{AgentID: ag(1)}, wantErr: decision.ErrInvalid, fields: []string{"at"}},
		{name: "draining, bad agent id", given: []proto.Message{created(swarm.Mesh)}, when: swarm.MemberDraining{AgentID: "nope"}, wantErr: decision.ErrInvalid, fields: []string{"agent_id"}},
	})
}

func TestMemberViewFollowsStatus(t *testing.T) {
	s := given(t, created(swarm.Mesh), joined(1, 2, "code"), joined(2, 1))
	decide(t, &s, swarm.MemberDraining{AgentID: ag(1)})
	decide(t, &s, swarm.MemberLost{AgentID: ag(2), At: t0})
	v := view(&s)
	if v.Members[0].Status != swarm.MemberStatusDraining || v.Members[1].Status != swarm.MemberStatusLost {
		t.Fatalf("members = %+v", v.Members)
	}
	decide(t, &s, swarm.MemberLost{AgentID: ag(1), At: t0})
	decide(t, &s, swarm.MemberRecovered{AgentID: ag(1), At: t0})
	if v := view(&s); v.Members[0].Status != swarm.MemberStatusDraining || v.Members[0].Capabilities[0] != "code" {
		t.Fatalf("recovered draining member = %+v", v.Members[0])
	}
}

func TestMemberCommandsDeliveredAgainAreIgnored(t *testing.T) {
	joinedAt := func(v uint64) *hivev1.SwarmMemberJoined {
		j := joined(1, 1)
		j.AgentVersion = v
		return j
	}
	left := &hivev1.SwarmMemberLeft{SwarmId: sid, AgentId: ag(1), AtUnixNano: ns(t0), AgentVersion: 5}
	runCases(t, []decisionCase{
		{
			name:  "a join delivered again after the agent left does not bring it back",
			given: []proto.Message{created(swarm.Mesh), joinedAt(3), left},
			when:  swarm.AddMember{AgentID: ag(1), AgentVersion: 3, At: t0},
		},
		{
			name:  "a newer join after leaving is a new membership",
			given: []proto.Message{created(swarm.Mesh), joinedAt(3), left},
			when:  swarm.AddMember{AgentID: ag(1), AgentVersion: 7, At: t0},
			then:  []proto.Message{joinedAt(7)},
		},
		{
			name:  "a loss delivered again after the agent recovered is ignored",
			given: []proto.Message{created(swarm.Mesh), joinedAt(3), &hivev1.SwarmMemberRecovered{SwarmId: sid, AgentId: ag(1), AtUnixNano: ns(t0), AgentVersion: 9}},
			when:  swarm.MemberLost{AgentID: ag(1), AgentVersion: 8, At: t0},
		},
	})
}

// TestAJoiningMemberIsScoredOnItsRecord: a member that joins with a track
// record starts with its statistics, and its success rate counts from its
// first assignment in the swarm.
func TestAJoiningMemberIsScoredOnItsRecord(t *testing.T) {
	s := given(t, created(swarm.Mesh))
	decide(t, &s, swarm.AddMember{AgentID: ag(1), At: t0})
	decide(t, &s, swarm.AddMember{AgentID: ag(2), Record: swarm.Record{Completed: 9, Failed: 1, CompletedDuration: 9 * time.Minute}, At: t0})
	got := view(&s).Members[1].Stats
	want := swarm.MemberStats{Completed: 9, Failed: 1, SuccessRate: 10.0 / 12, MeanDuration: time.Minute}
	if got != want {
		t.Fatalf("stats = %+v, want %+v", got, want)
	}
	evs := decide(t, &s, swarm.SubmitTask{At: t0})
	a := evs[len(evs)-1].(*hivev1.TaskAssigned)
	if a.GetAgentId() != ag(2) || a.GetCandidates()[0].GetSuccess() != 10.0/12 {
		t.Fatalf("assigned %v, want the veteran scored on its record", a)
	}
}
