package swarm_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

func ptr[T any](v T) *T { return &v }

// settingsChanged is a SwarmSettingsChanged from the default settings of
// created(from) to changes made by set.
func settingsChanged(from swarm.Topology, reason string, changed []string, set func(*hivev1.SwarmSettingsChanged)) *hivev1.SwarmSettingsChanged {
	weights := &hivev1.SwarmWeights{Capability: 1, Load: 1, Success: 1, Speed: 1}
	m := &hivev1.SwarmSettingsChanged{
		SwarmId: sid, Changed: changed, Topology: string(from), Weights: weights, PreviousTopology: string(from),
		PreviousWeights: proto.CloneOf(weights), Reason: reason, AtUnixNano: ns(t0),
	}
	set(m)
	return m
}

func TestUpdateSettings(t *testing.T) {
	star := []proto.Message{created(swarm.Star), joined(1, 1), joined(2, 1), leaderChanged(ag(1), "", "first member of a star swarm")}
	runCases(t, []decisionCase{
		{
			name:  "change topology, weights and sizes",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1)},
			when: swarm.UpdateSettings{Topology: ptr(swarm.Ring), Weights: &swarm.Weights{Load: 2}, MinSize: ptr(1), MaxSize: ptr(4),
				Reason: "busier", At: t0},
			then: []proto.Message{settingsChanged(swarm.Mesh, "busier", []string{"topology", "weights", "min_size", "max_size"}, func(m *hivev1.SwarmSettingsChanged) {
				m.Topology, m.Weights, m.MinSize, m.MaxSize = "ring", &hivev1.SwarmWeights{Load: 2}, 1, 4
			})},
		},
		{
			name:  "zero weights are the default weights",
			given: []proto.Message{created(swarm.Mesh)},
			when:  swarm.UpdateSettings{Weights: &swarm.Weights{}, At: t0},
		},
		{
			name:  "the same settings change nothing",
			given: []proto.Message{created(swarm.Mesh)},
			when:  swarm.UpdateSettings{Topology: ptr(swarm.Mesh), MinSize: ptr(0), MaxSize: ptr(0), At: t0},
		},
		{
			name:  "choose another leader",
			given: star,
			when:  swarm.UpdateSettings{Leader: ptr(ag(2)), Reason: "hub upgrade", At: t0},
			then:  []proto.Message{leaderChanged(ag(2), ag(1), "chosen by an operator: hub upgrade")},
		},
		{
			name:  "a topology that needs a leader gets the first member",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), joined(2, 1)},
			when:  swarm.UpdateSettings{Topology: ptr(swarm.Hierarchical), At: t0},
			then: []proto.Message{
				settingsChanged(swarm.Mesh, "", []string{"topology"}, func(m *hivev1.SwarmSettingsChanged) { m.Topology = "hierarchical" }),
				leaderChanged(ag(1), "", "first member of a swarm that became hierarchical"),
			},
		},
		{
			name:  "a lower minimum lets queued tasks be assigned",
			given: []proto.Message{withMinSize(created(swarm.Mesh), 2), joined(1, 1), queued(1, "")},
			when:  swarm.UpdateSettings{MinSize: ptr(1), At: t0},
			then: []proto.Message{
				settingsChanged(swarm.Mesh, "", []string{"min_size"}, func(m *hivev1.SwarmSettingsChanged) { m.MinSize, m.PreviousMinSize = 1, 2 }),
				assignedTo(1, 1, 1, t0),
			},
		},
		{
			name: "a leader that is not a member", given: star, when: swarm.UpdateSettings{Leader: ptr(ag(9)), At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"leader"}, msg: "not a member",
		},
		{
			name: "no leader", given: star, when: swarm.UpdateSettings{Leader: ptr(""), At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"leader"},
		},
		{
			name: "a maximum below the members", given: star, when: swarm.UpdateSettings{MaxSize: ptr(1), At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"max_size"}, msg: "2 members",
		},
		{
			name: "a minimum above the maximum", given: []proto.Message{withMaxSize(created(swarm.Mesh), 3)}, when: swarm.UpdateSettings{MinSize: ptr(4), At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"max_size"}, msg: "at least min_size",
		},
		{
			name: "invalid values", given: star,
			when: swarm.UpdateSettings{Topology: ptr(swarm.Topology("tree")), Leader: ptr("boss"), Weights: &swarm.Weights{Load: -1},
				MinSize: ptr(-1), MaxSize: ptr(20_000), At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"topology", "leader", "weights.load", "min_size", "max_size"},
		},
		{name: "no time", given: star, when: swarm.UpdateSettings{MinSize: ptr(1)}, wantErr: decision.ErrInvalid, fields: []string{"at"}},
		{name: "a swarm never created", when: swarm.UpdateSettings{MinSize: ptr(1), At: t0}, wantErr: swarm.ErrSwarmNotFound},
	})
}

func TestSettingsChangeTheSwarm(t *testing.T) {
	s := given(t, created(swarm.Star), joined(1, 1), joined(2, 1))
	decide(t, &s, swarm.UpdateSettings{Topology: ptr(swarm.Ring), Weights: &swarm.Weights{Speed: 1}, MinSize: ptr(3), MaxSize: ptr(5), Leader: ptr(ag(2)), At: t0})
	v := view(&s)
	if v.Topology != swarm.Ring || v.Weights != (swarm.Weights{Speed: 1}) || v.MinSize != 3 || v.MaxSize != 5 || v.Leader != ag(2) || v.Status != swarm.StatusForming {
		t.Fatalf("view after the change = %+v", v)
	}
	r := restored(t, &s) // nothing ended: nothing to recall
	if got := view(&r); got.Topology != v.Topology || got.Weights != v.Weights || got.MinSize != 3 || got.Leader != ag(2) {
		t.Fatalf("restored view = %+v", got)
	}
}
