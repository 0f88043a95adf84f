package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"hive/projections"
)

// swarmView is what the lifecycle tests read of GET /v1/swarms/{id}.
type swarmView struct {
	Topology string             `json:"topology"`
	Leader   string             `json:"leader"`
	Status   string             `json:"status"`
	MinSize  int                `json:"min_size"`
	MaxSize  int                `json:"max_size"`
	Weights  map[string]float64 `json:"weights"`
	Members  []struct {
		AgentID string `json:"agent_id"`
	} `json:"members"`
}

// TestSwarmSettingsChange refuses invalid settings naming the field, then
// changes the topology, weights, size bounds and leader, each recorded with
// the reason given.
func TestSwarmSettingsChange(t *testing.T) {
	s := startInProcess(t, time.Minute)
	id := createSwarm(t, s, map[string]any{"name": "shifting", "topology": "star", "max_size": 3})
	a, b, outsider := registerAgent(t, s, "a", "code"), registerAgent(t, s, "b", "code"), registerAgent(t, s, "c", "code")
	for _, ag := range []string{a, b} {
		s.must(t, http.MethodPost, "/v1/swarms/"+id+"/members", map[string]any{"agent_id": ag}, nil)
	}
	path := "/v1/swarms/" + id
	s.problem(t, http.MethodPatch, path, map[string]any{"topology": "tree"}, http.StatusUnprocessableEntity, "topology")
	s.problem(t, http.MethodPatch, path, map[string]any{"leader": outsider}, http.StatusUnprocessableEntity, "leader")
	s.problem(t, http.MethodPatch, path, map[string]any{"leader": ""}, http.StatusUnprocessableEntity, "leader")
	s.problem(t, http.MethodPatch, path, map[string]any{"max_size": 1}, http.StatusUnprocessableEntity, "max_size")
	s.problem(t, http.MethodPatch, path, map[string]any{"min_size": 5}, http.StatusUnprocessableEntity, "max_size")
	s.problem(t, http.MethodPatch, path, map[string]any{"weights": map[string]any{"load": -1}}, http.StatusUnprocessableEntity, "weights.load")
	s.problem(t, http.MethodPatch, path, map[string]any{"colour": "blue"}, http.StatusBadRequest, "")
	s.problem(t, http.MethodPatch, "/v1/swarms/00000000-0000-0000-0000-000000000000", map[string]any{"min_size": 1}, http.StatusNotFound, "")

	var sw swarmView
	s.must(t, http.MethodPatch, path, map[string]any{"topology": "mesh", "leader": b, "min_size": 1, "max_size": 5,
		"weights": map[string]any{"capability": 0, "load": 3, "success": 1, "speed": 0}, "reason": "rebalance"}, &sw)
	if sw.Topology != "mesh" || sw.Leader != b || sw.MinSize != 1 || sw.MaxSize != 5 || sw.Weights["load"] != 3 || sw.Status != "active" {
		t.Fatalf("swarm after the change = %+v", sw)
	}
	var row projections.SwarmRow
	waitView(t, s, "/v1/views/swarms/"+id, &row, "the new settings", func() bool {
		return row.Topology == "mesh" && row.LeaderID == b && row.MinSize == 1 && row.MaxSize == 5
	})
	var log struct {
		Events []struct {
			Type    string         `json:"type"`
			Payload map[string]any `json:"payload"`
		} `json:"events"`
	}
	s.must(t, http.MethodGet, "/v1/streams/swarm-"+id, nil, &log)
	var recorded []string
	for _, e := range log.Events {
		if e.Type == "hive.v1.SwarmSettingsChanged" || e.Type == "hive.v1.SwarmLeaderChanged" {
			recorded = append(recorded, e.Type+": "+e.Payload["reason"].(string))
		}
	}
	if want := "hive.v1.SwarmLeaderChanged: first member of a star swarm|hive.v1.SwarmSettingsChanged: rebalance|" +
		"hive.v1.SwarmLeaderChanged: chosen by an operator: rebalance"; strings.Join(recorded, "|") != want {
		t.Fatalf("recorded %q, want %q", recorded, want)
	}
	s.must(t, http.MethodPatch, path, map[string]any{"topology": "mesh", "reason": "again"}, nil) // nothing changes
	s.must(t, http.MethodGet, "/v1/streams/swarm-"+id, nil, &log)
	if last := log.Events[len(log.Events)-1]; last.Type != "hive.v1.SwarmLeaderChanged" {
		t.Fatalf("a change to the same settings recorded %s", last.Type)
	}
}

// TestSwarmDissolution refuses to dissolve a swarm with unfinished work,
// then forces it: the runs are cancelled, the tasks cancelled, the members
// leave, and the swarm refuses what a swarm takes.
func TestSwarmDissolution(t *testing.T) {
	s := startInProcess(t, time.Minute)
	id := createSwarm(t, s, map[string]any{"name": "doomed", "topology": "mesh"})
	a := registerAgent(t, s, "a", "code")
	s.must(t, http.MethodPost, "/v1/swarms/"+id+"/members", map[string]any{"agent_id": a}, nil)
	task := submitTo(t, s, id, map[string]any{"capability": "code"})
	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "gated", "swarm_id": id,
		"steps": []any{map[string]any{"id": "wait", "capability": "code", "approval": true}}}, &run)
	path := "/v1/swarms/" + id

	s.problem(t, http.MethodDelete, path+"?reason=done", nil, http.StatusConflict, "")
	s.problem(t, http.MethodDelete, path+"?force=maybe", nil, http.StatusBadRequest, "force")
	var sw swarmView
	s.must(t, http.MethodGet, path, nil, &sw)
	if sw.Status == "dissolved" || len(sw.Members) != 1 {
		t.Fatalf("a refused dissolution changed the swarm: %+v", sw)
	}

	s.must(t, http.MethodDelete, path+"?reason=done&force=true", nil, &sw)
	if sw.Status != "dissolved" || len(sw.Members) != 0 {
		t.Fatalf("dissolved swarm = %+v", sw)
	}
	gone := waitTask(t, s, task, "cancelled", func(k projections.Task) bool { return k.Status == "cancelled" })
	if gone.Reason != "swarm dissolved: done" {
		t.Fatalf("the swarm's task = %+v", gone)
	}
	var detail projections.RunDetail
	waitView(t, s, "/v1/views/runs/"+run.ID, &detail, "the run cancelled", func() bool { return detail.Status == "cancelled" })
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		var ag projections.Agent // swarm_id is left out when empty: decode into a new row each time
		if s.must(t, http.MethodGet, "/v1/agents/"+a, nil, &ag); ag.SwarmID == "" && ag.Running == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the member after the dissolution = %+v", ag)
		}
	}
	var row projections.SwarmRow
	waitView(t, s, "/v1/views/swarms/"+id, &row, "the swarm dissolved", func() bool { return row.Status == "dissolved" && len(row.Members) == 0 })

	s.problem(t, http.MethodPost, path+"/members", map[string]any{"agent_id": a}, http.StatusConflict, "")
	s.problem(t, http.MethodPost, path+"/tasks", map[string]any{"capability": "code"}, http.StatusConflict, "")
	s.problem(t, http.MethodPatch, path, map[string]any{"min_size": 2}, http.StatusConflict, "")
	s.problem(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "late", "swarm_id": id, "steps": []any{map[string]any{"id": "x"}}},
		http.StatusConflict, "")
	s.problem(t, http.MethodPost, "/v1/swarms", map[string]any{"name": "doomed", "topology": "mesh"}, http.StatusConflict, "")
	s.must(t, http.MethodDelete, path+"?reason=again", nil, nil) // dissolved already: nothing changes
	other := createSwarm(t, s, map[string]any{"name": "next", "topology": "mesh"})
	s.must(t, http.MethodPost, "/v1/swarms/"+other+"/members", map[string]any{"agent_id": a}, nil)
}

// TestSwarmsUpdateAndDissolveCommands changes a swarm and dissolves it
// with hive swarms update and dissolve.
func TestSwarmsUpdateAndDissolveCommands(t *testing.T) {
	c := newCLI(t)
	var sw struct {
		ID       string             `json:"id"`
		Topology string             `json:"topology"`
		Leader   string             `json:"leader"`
		Status   string             `json:"status"`
		MaxSize  int                `json:"max_size"`
		Weights  map[string]float64 `json:"weights"`
	}
	c.json(&sw, "swarms", "create", "--name", "cli-crew", "--topology", "mesh")
	var ag struct {
		ID string `json:"id"`
	}
	c.json(&ag, "agents", "register", "--name", "cli-lead", "--capability", "code")
	c.run("swarms", "join", sw.ID, ag.ID)
	c.json(&sw, "swarms", "update", sw.ID, "--topology", "star", "--leader", ag.ID, "--max-size", "3", "--weight", "load=2", "--reason", "one hub")
	if sw.Topology != "star" || sw.Leader != ag.ID || sw.MaxSize != 3 || sw.Weights["load"] != 2 || sw.Weights["success"] != 0 {
		t.Fatalf("swarm after hive swarms update = %+v", sw)
	}
	if _, err := c.try("swarms", "update", sw.ID, "--max-size", "-1"); err == nil || !strings.Contains(err.Error(), "max_size") {
		t.Fatalf("an invalid --max-size: %v, want a 422 naming max_size", err)
	}
	c.run("swarms", "submit", sw.ID, "--capability", "code")
	if _, err := c.try("swarms", "dissolve", sw.ID, "--reason", "done"); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("dissolving a swarm with a task: %v, want 409", err)
	}
	c.json(&sw, "swarms", "dissolve", sw.ID, "--reason", "done", "--force")
	if sw.Status != "dissolved" {
		t.Fatalf("swarm after hive swarms dissolve --force = %+v", sw)
	}
	contains(t, "swarms get", c.run("swarms", "get", sw.ID), "dissolved", "star")
}

// TestSwarmDissolutionRefusedForItsInputChangesNothing: a forced
// dissolution whose reason is too long is refused naming the reason, and
// the swarm's runs are not cancelled for it.
func TestSwarmDissolutionRefusedForItsInputChangesNothing(t *testing.T) {
	s := startInProcess(t, time.Minute)
	id := createSwarm(t, s, map[string]any{"name": "kept", "topology": "mesh"})
	var run struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "gated", "swarm_id": id,
		"steps": []any{map[string]any{"id": "wait", "approval": true}}}, &run)
	path := "/v1/swarms/" + id + "?force=true&reason=" + strings.Repeat("x", 1001)
	s.problem(t, http.MethodDelete, path, nil, http.StatusUnprocessableEntity, "reason")
	s.must(t, http.MethodGet, "/v1/workflows/"+run.ID, nil, &run)
	if run.Status != "running" {
		t.Fatalf("the run after a refused dissolution is %s, want running", run.Status)
	}
	var sw swarmView
	if s.must(t, http.MethodGet, "/v1/swarms/"+id, nil, &sw); sw.Status == "dissolved" {
		t.Fatalf("a refused dissolution dissolved the swarm")
	}
}
