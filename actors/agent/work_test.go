package agent_test

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

const swarmID = "0193a0c4-0000-7000-8000-000000000001"

func joined() *hivev1.AgentJoinedSwarm {
	return &hivev1.AgentJoinedSwarm{AgentId: id, SwarmId: swarmID, MaxConcurrency: 1}
}

func started(task string, v uint64) *hivev1.AgentTaskStarted {
	return &hivev1.AgentTaskStarted{AgentId: id, TaskId: task, SwarmId: swarmID, SwarmVersion: v}
}

func TestWorkDecisions(t *testing.T) {
	finished := &hivev1.AgentTaskFinished{AgentId: id, TaskId: "t1", Outcome: agent.OutcomeCompleted, SwarmVersion: 7}
	tests := []struct {
		name    string
		given   []proto.Message
		when    any
		then    []proto.Message
		wantErr error
	}{
		{
			name:  "join a swarm",
			given: []proto.Message{registeredAt(t0)},
			when:  agent.JoinSwarm{SwarmID: swarmID},
			then:  []proto.Message{joined()},
		},
		{
			name: "an agent with results carries its track record into the swarm it joins",
			given: []proto.Message{registeredAt(t0), started("t1", 5),
				&hivev1.AgentTaskFinished{AgentId: id, TaskId: "t1", Outcome: agent.OutcomeCompleted, DurationNanos: int64(3 * time.Second), SwarmVersion: 6},
				started("t2", 7), &hivev1.AgentTaskFinished{AgentId: id, TaskId: "t2", Outcome: agent.OutcomeTimedOut, SwarmVersion: 8},
				started("t3", 9), &hivev1.AgentTaskFinished{AgentId: id, TaskId: "t3", Outcome: agent.OutcomeReleased, SwarmVersion: 10}},
			when: agent.JoinSwarm{SwarmID: swarmID},
			then: []proto.Message{&hivev1.AgentJoinedSwarm{AgentId: id, SwarmId: swarmID, MaxConcurrency: 1,
				Record: &hivev1.TrackRecord{Completed: 1, Failed: 1, CompletedDurationNanos: int64(3 * time.Second)}}},
		},
		{name: "join the same swarm again changes nothing", given: []proto.Message{registeredAt(t0), joined()}, when: agent.JoinSwarm{SwarmID: swarmID}},
		{
			name: "join a second swarm", given: []proto.Message{registeredAt(t0), joined()},
			when: agent.JoinSwarm{SwarmID: "other"}, wantErr: agent.ErrInOtherSwarm,
		},
		{name: "join before registering", when: agent.JoinSwarm{SwarmID: swarmID}, wantErr: agent.ErrNotRegistered},
		{
			name: "join after deregistering", given: []proto.Message{registeredAt(t0), &hivev1.AgentDeregistered{AgentId: id}},
			when: agent.JoinSwarm{SwarmID: swarmID}, wantErr: agent.ErrDeregistered,
		},
		{
			name: "leave the swarm", given: []proto.Message{registeredAt(t0), joined()},
			when: agent.LeaveSwarm{SwarmID: swarmID, Reason: "rebalancing"},
			then: []proto.Message{&hivev1.AgentLeftSwarm{AgentId: id, SwarmId: swarmID, Reason: "rebalancing"}},
		},
		{name: "leave a swarm it is not in changes nothing", given: []proto.Message{registeredAt(t0), joined()}, when: agent.LeaveSwarm{SwarmID: "other"}},
		{
			name: "a task assigned by the swarm starts", given: []proto.Message{registeredAt(t0), joined()},
			when: agent.StartTask{TaskID: "t1", SwarmID: swarmID, SwarmVersion: 5, At: t0, Deadline: t0.Add(time.Minute)},
			then: []proto.Message{&hivev1.AgentTaskStarted{AgentId: id, TaskId: "t1", SwarmId: swarmID, SwarmVersion: 5, DeadlineUnixNano: ns(t0.Add(time.Minute))}},
		},
		{
			name: "a task already in flight does not start twice", given: []proto.Message{registeredAt(t0), started("t1", 5)},
			when: agent.StartTask{TaskID: "t1", SwarmID: swarmID, SwarmVersion: 5},
		},
		{
			name: "an assignment delivered again after the task finished changes nothing", given: []proto.Message{registeredAt(t0), started("t1", 5), finished},
			when: agent.StartTask{TaskID: "t1", SwarmID: swarmID, SwarmVersion: 5},
		},
		{
			name: "the end of an assignment finishes the task", given: []proto.Message{registeredAt(t0), started("t1", 5)},
			when: agent.FinishTask{TaskID: "t1", SwarmID: swarmID, SwarmVersion: 7, Outcome: agent.OutcomeCompleted, Usage: ledger.Usage{InputTokens: 3}},
			then: []proto.Message{&hivev1.AgentTaskFinished{AgentId: id, TaskId: "t1", Outcome: agent.OutcomeCompleted, SwarmVersion: 7, Usage: &hivev1.Usage{InputTokens: 3}}},
		},
		{
			name:  "a completion takes the duration the swarm measured",
			given: []proto.Message{registeredAt(t0), &hivev1.AgentTaskStarted{AgentId: id, TaskId: "t1", SwarmId: swarmID, SwarmVersion: 5}},
			when:  agent.FinishTask{TaskID: "t1", SwarmID: swarmID, SwarmVersion: 7, Outcome: agent.OutcomeCompleted, At: t0.Add(time.Hour), Duration: 2 * time.Second},
			then:  []proto.Message{&hivev1.AgentTaskFinished{AgentId: id, TaskId: "t1", Outcome: agent.OutcomeCompleted, SwarmVersion: 7, DurationNanos: int64(2 * time.Second)}},
		},
		{
			name: "finishing a task not in flight changes nothing", given: []proto.Message{registeredAt(t0)},
			when: agent.FinishTask{TaskID: "t9", SwarmID: swarmID, SwarmVersion: 9, Outcome: agent.OutcomeFailed},
		},
		{name: "a task for an unknown agent", when: agent.StartTask{TaskID: "t1"}, wantErr: agent.ErrNotRegistered},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := given(t, tc.given...)
			got, err := s.Decide(tc.when)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if len(got) != len(tc.then) {
				t.Fatalf("decided %v, want %v", got, tc.then)
			}
			for i := range got {
				if !proto.Equal(got[i], tc.then[i]) {
					t.Errorf("event %d = %v, want %v", i, got[i], tc.then[i])
				}
			}
		})
	}
}

func TestBusyStatusAndStats(t *testing.T) {
	s := given(t, registeredAt(t0), joined(), started("t1", 2), started("t2", 3))
	if s.Status != agent.StatusBusy || len(s.Tasks) != 2 {
		t.Fatalf("with two tasks: status %s, tasks %v", s.Status, s.Tasks)
	}
	s = given(t, registeredAt(t0), joined(), started("t1", 2), started("t2", 3),
		&hivev1.AgentTaskFinished{AgentId: id, TaskId: "t1", Outcome: agent.OutcomeCompleted, DurationNanos: int64(4 * time.Second), SwarmVersion: 4},
		&hivev1.AgentTaskFinished{AgentId: id, TaskId: "t2", Outcome: agent.OutcomeTimedOut, SwarmVersion: 5})
	if s.Status != agent.StatusIdle {
		t.Errorf("with no task in flight: status %s", s.Status)
	}
	if s.Stats.Completed != 1 || s.Stats.Failed != 1 || s.Stats.MeanDuration != 4*time.Second {
		t.Errorf("stats = %+v", s.Stats)
	}
	s = given(t, registeredAt(t0), started("t1", 2), &hivev1.AgentDraining{AgentId: id})
	if s.Status != agent.StatusDraining {
		t.Errorf("draining while busy: status %s", s.Status)
	}
}

func TestLifecycleEventsNameTheSwarm(t *testing.T) {
	s := given(t, registeredAt(t0), joined())
	got, err := s.Decide(agent.Drain{Reason: "upgrade"})
	if err != nil || len(got) != 1 || got[0].(*hivev1.AgentDraining).GetSwarmId() != swarmID {
		t.Fatalf("drain decided %v, %v; want the swarm named", got, err)
	}
	got, err = s.Decide(agent.CheckLiveness{Now: t0.Add(time.Hour)})
	if err != nil || len(got) != 1 || got[0].(*hivev1.AgentLost).GetSwarmId() != swarmID {
		t.Fatalf("liveness decided %v, %v; want the swarm named", got, err)
	}
}

func TestDeadlines(t *testing.T) {
	at := t0.Add(timeout)
	tests := []struct {
		name string
		msg  proto.Message
		want []actors.Deadline
	}{
		{"registration arms liveness", registeredAt(t0), []actors.Deadline{{Key: agent.LivenessTimer, At: at}}},
		{"extension moves it", &hivev1.AgentHeartbeatExtended{DeadlineUnixNano: ns(at)}, []actors.Deadline{{Key: agent.LivenessTimer, At: at}}},
		{"lost cancels it", &hivev1.AgentLost{}, []actors.Deadline{{Key: agent.LivenessTimer}}},
		{"deregistration cancels it", &hivev1.AgentDeregistered{}, []actors.Deadline{{Key: agent.LivenessTimer}}},
		{"work changes no timer", started("t1", 1), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := agent.Deadlines(tc.msg)
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
