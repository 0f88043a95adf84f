package main

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"hive/projections"
)

// waitView reads path as s into out until done says it shows what the test
// waits for, for up to 5 s.
func waitView(t *testing.T, s *sim, path string, out any, what string, done func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		s.must(t, http.MethodGet, path, nil, out)
		if done() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s never showed %s: %+v", path, what, out)
		}
	}
}

// completeOne completes the one task in flight of agentID, as that agent.
func completeOne(t *testing.T, s *sim, agentID string) {
	t.Helper()
	tasks := tasksInFlight(t, s, agentID, 1)
	if len(tasks) != 1 {
		t.Fatalf("agent %s has tasks %+v, want one", agentID, tasks)
	}
	s.must(t, http.MethodPost, "/v1/tasks/"+tasks[0].ID+"/complete", map[string]any{"agent_id": agentID, "output": map[string]any{"ok": true}}, nil)
}

func TestViewsFollowAWorkflowRun(t *testing.T) {
	s := startInProcess(t, time.Minute)
	viewer := s.as(newToken(t, s, map[string]any{"role": "viewer"}))
	swarmID := createSwarm(t, s, map[string]any{"name": "crew", "topology": "star"})
	hub, spoke := registerAgent(t, s, "hub", "code"), registerAgent(t, s, "spoke", "code")
	for _, a := range []string{hub, spoke} {
		s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/members", map[string]any{"agent_id": a}, nil)
	}
	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "release", "swarm_id": swarmID, "steps": []any{
		map[string]any{"id": "build", "capability": "code"},
		map[string]any{"id": "ship", "capability": "code", "depends_on": []string{"build"}, "approval": true},
	}}, &run)
	completeOne(t, s, hub)

	var detail projections.RunDetail
	waitView(t, viewer, "/v1/views/runs/"+run.ID, &detail, "ship awaiting approval", func() bool {
		return len(detail.Steps) == 2 && detail.Steps[1].State == projections.StepAwaitingApproval
	})
	build := detail.Steps[0]
	if build.State != projections.StepCompleted || build.AgentID != hub || build.Attempts != 1 || build.StartedAt.IsZero() ||
		build.FinishedAt.Before(build.StartedAt) || detail.StepsCompleted != 1 || detail.Name != "release" || detail.SwarmID != swarmID {
		t.Fatalf("after the build: %+v", detail)
	}
	var sw projections.SwarmRow
	viewer.must(t, http.MethodGet, "/v1/views/swarms/"+swarmID, nil, &sw)
	var roles []string
	for _, m := range sw.Members {
		roles = append(roles, m.Name+"/"+m.Role+"/"+m.Status)
	}
	if !slices.Equal(roles, []string{"hub/hub/active", "spoke/spoke/active"}) || sw.Topology != "star" || sw.QueueDepth != 0 {
		t.Fatalf("swarm view = %+v", sw)
	}

	s.must(t, http.MethodPost, "/v1/workflows/"+run.ID+"/steps/ship/approve", map[string]any{"by": "carol", "comment": "go"}, nil)
	var queue projections.QueueView
	waitView(t, viewer, "/v1/views/queue", &queue, "the ship task in flight", func() bool {
		return queue.Totals.Assigned+queue.Totals.Running == 1 && len(queue.BySwarm) == 1 && queue.BySwarm[0].SwarmID == swarmID &&
			len(queue.ByCapability) == 1 && queue.ByCapability[0].Capability == "code"
	})
	completeOne(t, s, hub)
	waitView(t, viewer, "/v1/views/runs/"+run.ID, &detail, "the run completed", func() bool { return detail.Status == "completed" })
	if detail.StepsCompleted != 2 || detail.StepsTotal != 2 || detail.Steps[1].AgentID != hub {
		t.Fatalf("completed run = %+v", detail)
	}
	// The agent hears of the task's end from the swarm, after the run;
	// then nothing more happens, and every read model catches up with it.
	var board projections.Agent
	waitView(t, viewer, "/v1/agents/"+hub, &board, "the hub idle again", func() bool { return board.Load == 0 })
	var ready struct{ Lag []projections.Lag }
	waitView(t, viewer, "/readyz", &ready, "every read model at the head", func() bool {
		return !slices.ContainsFunc(ready.Lag, func(l projections.Lag) bool { return l.BehindPositions > 0 })
	})
	checkRunList(t, viewer, run.ID, swarmID)
	checkActivity(t, viewer)
	if board.SuccessRate == nil || *board.SuccessRate != 1 || board.Load != 0 || board.LastHeartbeat.IsZero() || board.Position == 0 {
		t.Fatalf("hub on the agents board = %+v", board)
	}
	agentToken := s.as(newToken(t, s, map[string]any{"role": "agent", "agent_id": hub}))
	agentToken.problem(t, http.MethodGet, "/v1/views/overview", nil, http.StatusForbidden, "")
}

// checkRunList checks the run list's filters and refusals.
func checkRunList(t *testing.T, viewer *sim, runID, swarmID string) {
	t.Helper()
	var page struct {
		Items []projections.RunRow `json:"items"`
	}
	viewer.must(t, http.MethodGet, "/v1/views/runs?status=completed&swarm="+swarmID, nil, &page)
	if len(page.Items) != 1 || page.Items[0].ID != runID || page.Items[0].StepsCompleted != 2 {
		t.Fatalf("completed runs = %+v", page.Items)
	}
	viewer.must(t, http.MethodGet, "/v1/views/runs?status=failed", nil, &page)
	if len(page.Items) != 0 {
		t.Fatalf("failed runs = %+v", page.Items)
	}
	viewer.problem(t, http.MethodGet, "/v1/views/runs?status=blob", nil, http.StatusBadRequest, "status")
	viewer.problem(t, http.MethodGet, "/v1/views/runs/00000000-0000-0000-0000-000000000000", nil, http.StatusNotFound, "")
	viewer.problem(t, http.MethodGet, "/v1/views/swarms/00000000-0000-0000-0000-000000000000", nil, http.StatusNotFound, "")
}

// checkActivity checks the feed, throughput, principals and overview after
// the run.
func checkActivity(t *testing.T, viewer *sim) {
	t.Helper()
	var feed struct {
		Items []projections.FeedItem `json:"items"`
	}
	viewer.must(t, http.MethodGet, "/v1/views/feed?limit=1000", nil, &feed)
	types := map[string]projections.FeedItem{}
	for _, it := range feed.Items {
		types[it.Type] = it
	}
	if a, ok := types["step_approved"]; !ok || a.Reason != "go" || a.Principal == "" || a.CorrelationID == "" {
		t.Fatalf("feed = %+v, want the approval with its comment and principal", feed.Items)
	}
	if _, ok := types["task_assigned"]; !ok {
		t.Fatalf("feed = %+v, want the assignments", feed.Items)
	}
	var through projections.ThroughputView
	viewer.must(t, http.MethodGet, "/v1/views/throughput", nil, &through)
	events, completed := 0, 0
	for _, m := range through.Minutes {
		events, completed = events+m.Events, completed+m.TasksCompleted
	}
	if len(through.Minutes) != 60 || events == 0 || completed != 2 {
		t.Fatalf("throughput: %d minutes, %d events, %d tasks completed; want 60 minutes and the 2 tasks", len(through.Minutes), events, completed)
	}
	var principals struct {
		Items []projections.PrincipalActivity `json:"items"`
	}
	viewer.must(t, http.MethodGet, "/v1/views/principals", nil, &principals)
	if len(principals.Items) == 0 || principals.Items[0].Commands == 0 || principals.Items[0].Events == 0 {
		t.Fatalf("principals = %+v", principals.Items)
	}
	var overview struct {
		Position uint64 `json:"position"`
		Agents   struct {
			Total    int            `json:"total"`
			ByStatus map[string]int `json:"by_status"`
		} `json:"agents"`
		Swarms int `json:"swarms"`
		Runs   struct {
			ByStatus map[string]int `json:"by_status"`
		} `json:"runs"`
		Lag []projections.Lag `json:"lag"`
	}
	viewer.must(t, http.MethodGet, "/v1/views/overview", nil, &overview)
	if overview.Agents.Total != 2 || overview.Agents.ByStatus["idle"] != 2 || overview.Swarms != 1 || overview.Runs.ByStatus["completed"] != 1 ||
		overview.Position == 0 || !slices.ContainsFunc(overview.Lag, func(l projections.Lag) bool { return l.Projection == "runs" }) {
		t.Fatalf("overview = %+v", overview)
	}
}

// TestUsageAndBudgetsInTheViews completes tasks that report usage and reads
// it back per agent, swarm and run, with each budget and what is left.
func TestUsageAndBudgetsInTheViews(t *testing.T) {
	s := startInProcess(t, time.Minute)
	swarmID := createSwarm(t, s, map[string]any{"name": "metered", "topology": "mesh", "budget": map[string]any{"tokens": 10000, "cost_micros": 500}})
	a := registerAgent(t, s, "meter", "code")
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/members", map[string]any{"agent_id": a}, nil)
	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "metered run", "swarm_id": swarmID, "budget": map[string]any{"tokens": 2000},
		"steps": []any{map[string]any{"id": "only", "capability": "code"}}}, &run)
	tasks := tasksInFlight(t, s, a, 1)
	s.must(t, http.MethodPost, "/v1/tasks/"+tasks[0].ID+"/complete", map[string]any{"agent_id": a, "output": map[string]any{"ok": true},
		"usage": map[string]any{"model": "m", "input_tokens": 1200, "output_tokens": 300, "cost_micros": 120}}, nil)
	want := projections.UsageTotals{InputTokens: 1200, OutputTokens: 300, CostMicros: 120, Tasks: 1}

	var ag projections.Agent
	waitView(t, s, "/v1/agents/"+a, &ag, "the agent's usage", func() bool { return ag.Usage == want })
	var detail projections.RunDetail
	waitView(t, s, "/v1/views/runs/"+run.ID, &detail, "the run's usage", func() bool { return detail.Usage == want })
	if b := detail.Budget; b.Limit.Tokens != 2000 || b.Spent.Tokens != 1500 || *b.Remaining.Tokens != 500 || b.Remaining.CostMicros != nil || b.Exhausted {
		t.Fatalf("run budget = %+v", b)
	}
	var sw projections.SwarmRow
	waitView(t, s, "/v1/views/swarms/"+swarmID, &sw, "the swarm's usage", func() bool { return sw.Usage == want })
	if b := sw.Budget; b.Limit != (projections.Amount{Tokens: 10000, CostMicros: 500}) || *b.Remaining.Tokens != 8500 || *b.Remaining.CostMicros != 380 || b.Exhausted {
		t.Fatalf("swarm budget = %+v", b)
	}
	var overview struct {
		Usage   projections.UsageTotals `json:"usage"`
		Budgets struct {
			SwarmsExhausted int `json:"swarms_exhausted"`
			RunsExhausted   int `json:"runs_exhausted"`
		} `json:"budgets"`
	}
	waitView(t, s, "/v1/views/overview", &overview, "the total usage", func() bool { return overview.Usage == want })
}
