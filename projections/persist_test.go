package projections_test

import (
	"testing"

	"google.golang.org/protobuf/proto"

	"hive/actors/swarm"
	"hive/events"
	"hive/projections"
	hivev1 "hive/proto/hive/v1"
)

// readModel is a read model under test: how to make one and its views.
type readModel struct {
	name string
	make func() projections.Persistent
	view func(projections.Persistent) any
}

var readModels = []readModel{
	{"agents", func() projections.Persistent { return projections.NewAgents() },
		func(p projections.Persistent) any { return p.(*projections.Agents).All() }},
	{"directory", func() projections.Persistent { return projections.NewDirectory() },
		func(p projections.Persistent) any {
			d := p.(*projections.Directory)
			return [][]projections.Entry{list(d, "swarm"), list(d, "workflow"), list(d, "definition")}
		}},
	{"assignments", func() projections.Persistent { return projections.NewAssignments() },
		func(p projections.Persistent) any {
			a := p.(*projections.Assignments)
			return []any{a.All(), a.Since(coder1, 1), a.Since(coder2, 1), a.Since(planner, 1)}
		}},
	{"tokens", func() projections.Persistent { return projections.NewTokens() },
		func(p projections.Persistent) any {
			var out []any
			for _, tok := range p.(*projections.Tokens).List() {
				out = append(out, tok, tok.Hash)
			}
			return out
		}},
	{"swarms", func() projections.Persistent { return projections.NewSwarms() },
		func(p projections.Persistent) any { return p.(*projections.Swarms).All() }},
	{"runs", func() projections.Persistent { return projections.NewRuns() },
		func(p projections.Persistent) any { return p.(*projections.Runs).All() }},
	{"queue", func() projections.Persistent { return projections.NewQueue() },
		func(p projections.Persistent) any { return p.(*projections.Queue).View() }},
	{"throughput", func() projections.Persistent { return projections.NewThroughput() },
		func(p projections.Persistent) any { return p.(*projections.Throughput).View() }},
	{"feed", func() projections.Persistent { return projections.NewFeed() },
		func(p projections.Persistent) any { return p.(*projections.Feed).Items(1000) }},
	{"principals", func() projections.Persistent { return projections.NewPrincipals() },
		func(p projections.Persistent) any { return p.(*projections.Principals).All() }},
	{"tasks", func() projections.Persistent { return projections.NewTaskIndex() },
		func(p projections.Persistent) any {
			var out [][]uint64
			for seq := range uint64(20) {
				positions, _ := p.(*projections.TaskIndex).Positions(swarm.TaskID(crew, seq+1))
				out = append(out, positions)
			}
			return out
		}},
}

// everything is the fleet's history and, after it, a few token events and
// a swarm whose settings change before it is dissolved.
func everything(t *testing.T) []*events.Envelope {
	log := fleet(t).log
	return extend(t, log,
		&hivev1.TokenCreated{TokenId: "t1", Name: "ci", Role: "operator", SecretHash: []byte{1, 2, 3}, AtUnixNano: t0.UnixNano()},
		&hivev1.TokenCreated{TokenId: "t2", Name: "board", Role: "viewer", SecretHash: []byte{4, 5, 6}, AtUnixNano: t0.UnixNano()},
		&hivev1.TokenRevoked{TokenId: "t1", AtUnixNano: t0.UnixNano() + 1},
		&hivev1.SwarmCreated{SwarmId: brief, Name: "brief", Topology: "mesh", Budget: &hivev1.Budget{Tokens: 10}, AtUnixNano: t0.UnixNano()},
		&hivev1.SwarmMemberJoined{SwarmId: brief, AgentId: stayer, Capabilities: []string{"code"}, MaxConcurrency: 1, AtUnixNano: t0.UnixNano()},
		&hivev1.SwarmSettingsChanged{SwarmId: brief, Changed: []string{"topology", "max_size"}, Topology: "star", MaxSize: 3,
			PreviousTopology: "mesh", Reason: "one hub", AtUnixNano: t0.UnixNano()},
		&hivev1.SwarmLeaderChanged{SwarmId: brief, LeaderId: stayer, Reason: "first member of a swarm that became star", AtUnixNano: t0.UnixNano()},
		&hivev1.SwarmMemberLeft{SwarmId: brief, AgentId: stayer, Reason: "swarm dissolved: merged", Dissolved: true, AtUnixNano: t0.UnixNano() + 2},
		&hivev1.SwarmDissolved{SwarmId: brief, Reason: "merged", MembersLeft: 1, AtUnixNano: t0.UnixNano() + 2})
}

// extend appends msgs to log, at the positions after it.
func extend(t *testing.T, log []*events.Envelope, msgs ...proto.Message) []*events.Envelope {
	t.Helper()
	more := history(t, func() []step {
		var s []step
		for _, m := range msgs {
			s = append(s, step{msg: m})
		}
		return s
	}()...)
	for _, env := range more {
		env.Position += uint64(len(log))
	}
	return append(log, more...)
}

func TestRestoredStateThenTheRestEqualsEverything(t *testing.T) {
	log := everything(t)
	for _, rm := range readModels {
		t.Run(rm.name, func(t *testing.T) {
			whole := rm.make()
			applyAll(t, whole, log)
			want := asJSON(t, rm.view(whole))
			for _, k := range []int{0, 1, len(log) / 3, len(log) / 2, len(log) - 1, len(log)} {
				first := rm.make()
				applyAll(t, first, log[:k])
				state, err := first.MarshalState()
				if err != nil {
					t.Fatal(err)
				}
				restored := rm.make()
				applyAll(t, restored, log[:len(log)/4]) // a restore replaces whatever was there
				if err := restored.UnmarshalState(state); err != nil {
					t.Fatalf("restore after %d events: %v", k, err)
				}
				if restored.Checkpoint() != uint64(k) {
					t.Fatalf("restored checkpoint %d, want %d", restored.Checkpoint(), k)
				}
				applyAll(t, restored, log[k:])
				if got := asJSON(t, rm.view(restored)); got != want {
					t.Fatalf("saved after %d of %d events, restored and applied the rest:\n%s\nwant\n%s", k, len(log), got, want)
				}
			}
		})
	}
}

func TestUnreadableStateLeavesAnEmptyReadModel(t *testing.T) {
	log := everything(t)
	for _, rm := range readModels {
		t.Run(rm.name, func(t *testing.T) {
			p := rm.make()
			applyAll(t, p, log)
			if err := p.UnmarshalState([]byte(`{"checkpoint":`)); err == nil {
				t.Fatal("a truncated state restored without error")
			}
			if p.Checkpoint() != 0 || asJSON(t, rm.view(p)) != asJSON(t, rm.view(rm.make())) {
				t.Fatalf("after a failed restore: checkpoint %d, view %s", p.Checkpoint(), asJSON(t, rm.view(p)))
			}
			applyAll(t, p, log)
			whole := rm.make()
			applyAll(t, whole, log)
			if asJSON(t, rm.view(p)) != asJSON(t, rm.view(whole)) {
				t.Fatal("rebuilt after a failed restore differs from a fresh build")
			}
		})
	}
}
