package swarm_test

import (
	"errors"
	"math"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

func TestCreate(t *testing.T) {
	full := &hivev1.SwarmCreated{
		SwarmId: sid, Name: name, Topology: "star", LeaderId: ag(1),
		Weights: &hivev1.SwarmWeights{Capability: 0, Load: 2, Success: 1, Speed: 0}, MinSize: 2, MaxSize: 5,
		Budget: &hivev1.Budget{Tokens: 1000, CostMicros: 50}, AtUnixNano: ns(t0),
	}
	runCases(t, []decisionCase{
		{
			name: "create with defaults",
			when: swarm.Create{Name: name, Topology: swarm.Mesh, At: t0},
			then: []proto.Message{created(swarm.Mesh)},
		},
		{
			name: "create with everything",
			when: swarm.Create{
				Name: name, Topology: swarm.Star, Leader: ag(1), Weights: swarm.Weights{Load: 2, Success: 1},
				MinSize: 2, MaxSize: 5, Budget: ledger.Budget{Tokens: 1000, CostMicros: 50}, At: t0,
			},
			then: []proto.Message{full},
		},
		{
			name:    "create a name taken",
			given:   []proto.Message{created(swarm.Mesh)},
			when:    swarm.Create{Name: name, Topology: swarm.Ring, At: t0},
			wantErr: swarm.ErrAlreadyExists,
		},
		{
			name:    "create a name taken is a conflict",
			given:   []proto.Message{created(swarm.Mesh)},
			when:    swarm.Create{Name: name, Topology: swarm.Mesh, At: t0},
			wantErr: decision.ErrConflict,
		},
		{name: "empty name", when: swarm.Create{Topology: swarm.Mesh, At: t0}, wantErr: decision.ErrInvalid, fields: []string{"name"}},
		{name: "name too long", when: swarm.Create{Name: strings.Repeat("n", 201), Topology: swarm.Mesh, At: t0}, wantErr: decision.ErrInvalid, fields: []string{"name"}},
		{name: "control character in name", when: swarm.Create{Name: "a\tb", Topology: swarm.Mesh, At: t0}, wantErr: decision.ErrInvalid, fields: []string{"name"}},
		{name: "unknown topology", when: swarm.Create{Name: name, Topology: "tree", At: t0}, wantErr: decision.ErrInvalid, fields: []string{"topology"}},
		{name: "missing topology", when: swarm.Create{Name: name, At: t0}, wantErr: decision.ErrInvalid, fields: []string{"topology"}},
		{name: "leader not a UUID", when: swarm.Create{Name: name, Topology: swarm.Star, Leader: "boss", At: t0}, wantErr: decision.ErrInvalid, fields: []string{"leader"}},
		{
			name:    "bad weights",
			when:    swarm.Create{Name: name, Topology: swarm.Mesh, Weights: swarm.Weights{Capability: -1, Load: math.NaN(), Success: math.Inf(1), Speed: 2000}, At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"weights.capability", "weights.load", "weights.success", "weights.speed"},
		},
		{name: "negative min size", when: swarm.Create{Name: name, Topology: swarm.Mesh, MinSize: -1, At: t0}, wantErr: decision.ErrInvalid, fields: []string{"min_size"}},
		{name: "max below min", when: swarm.Create{Name: name, Topology: swarm.Mesh, MinSize: 3, MaxSize: 2, At: t0}, wantErr: decision.ErrInvalid, fields: []string{"max_size"}},
		{name: "max above the cap", when: swarm.Create{Name: name, Topology: swarm.Mesh, MaxSize: 10_001, At: t0}, wantErr: decision.ErrInvalid, fields: []string{"max_size"}},
		{name: "negative budget", when: swarm.Create{Name: name, Topology: swarm.Mesh, Budget: ledger.Budget{Tokens: -1}, At: t0}, wantErr: decision.ErrInvalid, fields: []string{"budget.tokens"}},
		{name: "no time", when: swarm.Create{Name: name, Topology: swarm.Mesh}, wantErr: decision.ErrInvalid, fields: []string{"at"}},
		{name: "unknown command", when: struct{}{}, wantErr: decision.ErrInvalid},
	})
}

func TestCommandsOnASwarmNeverCreated(t *testing.T) {
	proposal := "8d3c8a5e-3f0e-4a7b-9c1d-2e4f6a8b0c1d"
	for _, c := range []any{
		swarm.AddMember{AgentID: ag(1), At: t0},
		swarm.RemoveMember{AgentID: ag(1), At: t0},
		swarm.MemberLost{AgentID: ag(1), At: t0},
		swarm.MemberRecovered{AgentID: ag(1), At: t0},
		swarm.MemberDraining{AgentID: ag(1)},
		swarm.SubmitTask{At: t0},
		swarm.CompleteTask{TaskID: tid(1), AgentID: ag(1), At: t0},
		swarm.FailTask{TaskID: tid(1), AgentID: ag(1), At: t0},
		swarm.CancelRunTasks{RunID: "r", At: t0},
		swarm.PauseRun{RunID: "r"},
		swarm.ResumeRun{RunID: "r", At: t0},
		swarm.RaiseBudget{At: t0},
		swarm.Tick{Now: t0},
		swarm.Propose{ProposalID: proposal, Question: "q", Options: []string{"a", "b"}, Rule: swarm.Majority, Deadline: at(1), At: t0},
		swarm.Vote{ProposalID: proposal, AgentID: ag(1), Option: "a", At: t0},
	} {
		t.Run(c.(interface{ CommandName() string }).CommandName(), func(t *testing.T) {
			var s swarm.State
			if _, err := s.Decide(c); !errors.Is(err, swarm.ErrSwarmNotFound) || !errors.Is(err, decision.ErrNotFound) {
				t.Fatalf("err = %v, want ErrSwarmNotFound", err)
			}
		})
	}
}

func TestIDForIsStableAndDistinct(t *testing.T) {
	if swarm.IDFor("a") != swarm.IDFor("a") {
		t.Error("IDFor is not deterministic")
	}
	if swarm.IDFor("a") == swarm.IDFor("A") {
		t.Error("distinct names share an id")
	}
}

func TestViewOfANewSwarm(t *testing.T) {
	s := given(t, created(swarm.Mesh))
	v := view(&s)
	if v.ID != sid || v.Name != name || v.Topology != swarm.Mesh || v.Status != swarm.StatusActive || v.Version != 1 {
		t.Errorf("view = %+v", v)
	}
	if v.Weights != swarm.DefaultWeights || v.Members == nil || v.Tasks == nil || v.Proposals == nil {
		t.Errorf("view = %+v", v)
	}
}

func TestApplyRefusesOtherEvents(t *testing.T) {
	var s swarm.State
	err := s.Apply(&events.Envelope{Version: 1, Type: "hive.v1.AgentRegistered"}, &hivev1.AgentRegistered{})
	if !errors.Is(err, events.ErrUnknownType) {
		t.Fatalf("err = %v, want ErrUnknownType", err)
	}
}
