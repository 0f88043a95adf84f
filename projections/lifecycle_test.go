package projections_test

import (
	"testing"
	"time"

	"hive/actors/agent"
	"hive/actors/swarm"
	"hive/actors/workflow"
	"hive/projections"
)

var (
	brief    = swarm.IDFor("brief")
	stayer   = agent.IDFor("stayer")
	orphaned = "0193a1d2-0000-7000-8000-0000000000d1"
)

// TestReadModelsFollowSettingsAndDissolution changes a swarm's settings and
// dissolves it by force with a run's task in flight: the views show the new
// settings, then the swarm dissolved, its member out, the run's step and
// run failed, and the task cancelled.
func TestReadModelsFollowSettingsAndDissolution(t *testing.T) {
	w := newWorld(t)
	w.do("alice", agentRef(stayer), agent.Register{Name: "stayer", Capabilities: []string{"code"}, MaxConcurrency: 1, At: w.now, HeartbeatTimeout: time.Hour})
	w.do("alice", swarmRef(brief), swarm.Create{Name: "brief", Topology: swarm.Mesh, At: w.now})
	w.do("alice", agentRef(stayer), agent.JoinSwarm{SwarmID: brief})
	four, star := 4, swarm.Star
	w.do("alice", swarmRef(brief), swarm.UpdateSettings{Topology: &star, MaxSize: &four, Reason: "one hub", At: w.now})
	w.do("bob", runRef(orphaned), workflow.Start{RunID: orphaned, Name: "orphaned", SwarmID: brief, At: w.now,
		Steps: []workflow.Step{{ID: "only", Capability: "code"}}})
	task, _ := w.assignment(orphaned, "only")

	swarms := projections.NewSwarms()
	applyAll(t, swarms, w.log)
	if sw, _ := swarms.Get(brief); sw.Topology != "star" || sw.MaxSize != 4 || sw.LeaderID != stayer || sw.Status != "active" || sw.Running != 1 {
		t.Fatalf("swarm after its settings changed = %+v", sw)
	}

	w.do("alice", swarmRef(brief), swarm.Dissolve{Reason: "merged", Force: true, At: w.now})
	applyAll(t, swarms, w.log[swarms.Checkpoint():])
	if sw, _ := swarms.Get(brief); sw.Status != "dissolved" || len(sw.Members) != 0 || sw.Running != 0 || sw.LeaderID != "" || sw.DissolvedAt.IsZero() {
		t.Fatalf("dissolved swarm = %+v", sw)
	}
	agents, runs, dir, feed, tasks := projections.NewAgents(), projections.NewRuns(), projections.NewDirectory(), projections.NewFeed(), projections.NewTaskIndex()
	applyAll(t, agents, w.log)
	applyAll(t, runs, w.log)
	applyAll(t, dir, w.log)
	applyAll(t, feed, w.log)
	applyAll(t, tasks, w.log)
	if ag, _ := agents.Get(stayer); ag.SwarmID != "" || ag.Status != "idle" {
		t.Fatalf("the member after the dissolution = %+v", ag)
	}
	if run, _ := runs.Get(orphaned); run.Status != "failed" || run.Steps[0].State != projections.StepFailed {
		t.Fatalf("the run after the dissolution = %+v", run)
	}
	if entries := list(dir, "swarm"); len(entries) != 1 || entries[0].Status != "dissolved" {
		t.Fatalf("directory = %+v", entries)
	}
	if got := readTask(t, tasks, w.log, task); got.Status != "cancelled" || got.Reason != "swarm dissolved: merged" {
		t.Fatalf("the run's task = %+v", got)
	}
	kinds := map[string]string{}
	for _, it := range feed.Items(100) {
		kinds[it.Type] = it.Reason
	}
	if kinds["swarm_settings_changed"] != "one hub" || kinds["swarm_dissolved"] != "merged" {
		t.Fatalf("feed = %v, want the settings change and the dissolution with their reasons", kinds)
	}
}
