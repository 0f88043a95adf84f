package projections_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/events"
	"hive/projections"
	hivev1 "hive/proto/hive/v1"
)

// feed applies msgs, as events of stream at positions 1, 2, …, to p.
func feed(t *testing.T, p projections.Projection, stream string, msgs ...proto.Message) {
	t.Helper()
	for i, m := range msgs {
		e, err := events.NewEvent(m, events.Metadata{})
		if err != nil {
			t.Fatal(err)
		}
		env := &events.Envelope{ID: e.ID, Stream: stream, Version: uint64(i + 1), Position: p.Checkpoint() + 1, Type: e.Type,
			SchemaVersion: e.SchemaVersion, Payload: e.Payload, RecordedAt: time.Unix(1_800_000_000, 0).UTC()}
		if err := p.Apply(committed(env)); err != nil {
			t.Fatalf("apply %s: %v", e.Type, err)
		}
	}
}

func TestAgentsReadModelFollowsWork(t *testing.T) {
	a := projections.NewAgents()
	feed(t, a, "agent-x",
		&hivev1.AgentRegistered{AgentId: "x", Name: "x", MaxConcurrency: 2},
		&hivev1.AgentJoinedSwarm{AgentId: "x", SwarmId: "s"},
		&hivev1.AgentTaskStarted{AgentId: "x", TaskId: "t1"},
		&hivev1.AgentTaskStarted{AgentId: "x", TaskId: "t2"},
	)
	if ag, _ := a.Get("x"); ag.Status != "busy" || ag.Running != 2 || ag.SwarmID != "s" {
		t.Fatalf("with two tasks: %+v", ag)
	}
	feed(t, a, "agent-x",
		&hivev1.AgentTaskFinished{AgentId: "x", TaskId: "t1", Outcome: "completed", DurationNanos: int64(3 * time.Second)},
		&hivev1.AgentTaskFinished{AgentId: "x", TaskId: "t2", Outcome: "timed_out"},
		&hivev1.AgentLeftSwarm{AgentId: "x", SwarmId: "s"},
	)
	ag, _ := a.Get("x")
	if ag.Status != "idle" || ag.Running != 0 || ag.Completed != 1 || ag.Failed != 1 || ag.MeanDuration != 3*time.Second || ag.SwarmID != "" {
		t.Fatalf("after both tasks ended and the agent left: %+v", ag)
	}
}

func TestDirectoryListsSwarmsRunsAndDefinitions(t *testing.T) {
	d := projections.NewDirectory()
	feed(t, d, "swarm-s1", &hivev1.SwarmCreated{SwarmId: "s1", Name: "crew"})
	feed(t, d, "workflow-r1", &hivev1.RunStarted{RunId: "r1", Name: "release", SwarmId: "s1"}, &hivev1.RunPaused{RunId: "r1"})
	feed(t, d, "workflow-r2", &hivev1.RunStarted{RunId: "r2", Name: "docs", SwarmId: "s1"}, &hivev1.RunCompleted{RunId: "r2"})
	feed(t, d, "definition-d1", &hivev1.DefinitionSaved{DefinitionId: "d1", Name: "nightly", Version: 1}, &hivev1.DefinitionSaved{DefinitionId: "d1", Name: "nightly", Version: 2})
	if defs := list(d, "definition"); len(defs) != 1 || defs[0].Version != 2 || defs[0].Name != "nightly" {
		t.Fatalf("definitions = %+v", defs)
	}
	if swarms := list(d, "swarm"); len(swarms) != 1 || swarms[0].Name != "crew" {
		t.Fatalf("swarms = %+v", swarms)
	}
	runs := list(d, "workflow")
	if len(runs) != 2 || runs[0].Status != "paused" || runs[1].Status != "completed" || runs[0].SwarmID != "s1" {
		t.Fatalf("runs = %+v", runs)
	}
}

func list(d *projections.Directory, kind string) []projections.Entry {
	items, _ := d.Page(kind, 0, 1000, func(*projections.Entry) bool { return true })
	return items
}

func TestPagesCoverEverythingOnce(t *testing.T) {
	a := projections.NewAgents()
	for i := range 7 {
		id := string(rune('a' + i))
		feed(t, a, "agent-"+id, &hivev1.AgentRegistered{AgentId: id, Name: id, Capabilities: []string{[]string{"odd", "even"}[(i+1)%2]}})
	}
	even := func(ag *projections.Agent) bool { return ag.Capabilities[0] == "even" }
	var got []string
	pages := 0
	for from := 0; ; pages++ {
		items, next := a.Page(from, 2, even)
		for _, ag := range items {
			got = append(got, ag.ID)
		}
		if next == 0 {
			break
		}
		from = next
	}
	if strings.Join(got, "") != "aceg" || pages != 1 {
		t.Fatalf("pages of 2 even agents gave %v in %d continuations, want aceg in 1", got, pages)
	}
}
