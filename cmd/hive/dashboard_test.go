package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"hive/actors/swarm"
)

// chromium is Debian's Chromium, which `make test` installs.
const chromium = "/usr/bin/chromium"

// screenshots is where the browser test saves its pictures of the pages,
// from the repository's root.
var screenshots = filepath.Join("..", "..", "build", "screenshots")

func TestDashboardIsServedWithoutAToken(t *testing.T) {
	s := startInProcess(t, time.Minute)
	anon := s.as("")
	tests := []struct {
		path, contentType string
		status            int
	}{
		{"/", "text/html; charset=utf-8", http.StatusOK},
		{"/ui/app.js", "text/javascript; charset=utf-8", http.StatusOK},
		{"/ui/style.css", "text/css; charset=utf-8", http.StatusOK},
		{"/ui/nothing.js", "application/problem+json", http.StatusNotFound},
		{"/ui/", "application/problem+json", http.StatusNotFound},
	}
	for _, tc := range tests {
		status, header, body := s.send(t, anon, http.MethodGet, tc.path, nil)
		if status != tc.status || header.Get("Content-Type") != tc.contentType {
			t.Errorf("GET %s: %d %s, want %d %s: %.200s", tc.path, status, header.Get("Content-Type"), tc.status, tc.contentType, body)
		}
	}
}

// browserPage is the dashboard in a headless Chromium tab.
type browserPage struct {
	t   *testing.T
	ctx context.Context
	url string
	// jsErrors are the page's uncaught exceptions and console errors.
	mu       sync.Mutex
	jsErrors []string
}

// openBrowser starts headless Chromium on a blank tab; it is closed when
// the test ends.
func openBrowser(t *testing.T, url string) *browserPage {
	t.Helper()
	if _, err := os.Stat(chromium); err != nil {
		t.Fatalf("the dashboard test needs Debian's Chromium at %s (make test installs it: apt-get install -y chromium): %v", chromium, err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.WindowSize(1360, 900), chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	p := &browserPage{t: t, ctx: ctx, url: url}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", chromium, err)
	}
	if err := chromedp.Listen(ctx, p.record); err != nil {
		t.Fatal(err)
	}
	return p
}

// record keeps the page's JavaScript errors.
func (p *browserPage) record(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = ev.ExceptionDetails.Text
		if ex := ev.ExceptionDetails.Exception; ex != nil {
			msg += " " + ex.Description
		}
	case *runtime.EventConsoleAPICalled:
		if ev.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		for _, arg := range ev.Args {
			msg += fmt.Sprintf(" %s%s", arg.Value, arg.Description)
		}
	default:
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.jsErrors = append(p.jsErrors, msg)
}

// do runs actions within d, or fails the test with a screenshot of the page.
func (p *browserPage) do(what string, d time.Duration, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		p.mu.Lock()
		defer p.mu.Unlock()
		p.t.Fatalf("%s: %v (JavaScript errors: %q)", what, err, p.jsErrors)
	}
}

// visible waits up to d for an element matching the CSS selector to show.
func (p *browserPage) visible(what string, d time.Duration, selector string) {
	p.t.Helper()
	p.do(what, d, chromedp.WaitVisible(chromedp.CSS(selector)))
}

// click clicks the element matching the CSS selector.
func (p *browserPage) click(what, selector string) {
	p.t.Helper()
	p.do(what, 5*time.Second, chromedp.Click(chromedp.CSS(selector), chromedp.NodeVisible))
}

// eval evaluates a JavaScript expression (awaiting a promise) for a string.
func (p *browserPage) eval(what, expr string) string {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		p.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// feedPosition is the position of the newest decision about the task in
// the coordination feed, as the API reads it.
func feedPosition(t *testing.T, s *sim, taskID string) uint64 {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var feed struct {
			Items []struct {
				Position uint64 `json:"position"`
				Summary  string `json:"summary"`
			} `json:"items"`
		}
		s.must(t, http.MethodGet, "/v1/views/feed?limit=5", nil, &feed)
		for _, it := range feed.Items {
			if strings.Contains(it.Summary, taskID) {
				return it.Position
			}
		}
	}
	t.Fatalf("no decision about task %s in the feed", taskID)
	return 0
}

// afterFrame is a promise of expr's value after the page's next frame, when
// the dashboard has drawn what the previous action changed.
func afterFrame(expr string) string {
	return `new Promise((resolve) => requestAnimationFrame(() => resolve(` + expr + `)))`
}

// signIn answers the sign-in dialog, with a screenshot of it if shot is
// not empty.
func (p *browserPage) signIn(token, name, shot string) {
	p.t.Helper()
	p.visible("the sign-in dialog", 5*time.Second, "#login-token")
	if shot != "" {
		p.shot(shot)
	}
	p.do("sign in", 5*time.Second,
		chromedp.SetValue(chromedp.ID("login-token"), token),
		chromedp.SetValue(chromedp.ID("login-name"), name),
		chromedp.Click(chromedp.ID("login-submit")))
}

// shot saves a screenshot of the whole page as build/screenshots/name.png.
func (p *browserPage) shot(name string) {
	p.t.Helper()
	// A screenshot must not wait for the animations of running steps.
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		p.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.MkdirAll(screenshots, 0o755); err != nil {
		p.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshots, name+".png"), png, 0o644); err != nil {
		p.t.Fatal(err)
	}
}

// noJSErrors fails the test if the page threw.
func (p *browserPage) noJSErrors() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.jsErrors) > 0 {
		p.t.Errorf("the page had JavaScript errors: %q", p.jsErrors)
	}
}

// completeStep waits until the run's step is assigned and completes its
// task as the agent it went to.
func completeStep(t *testing.T, s *sim, runID, stepID string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		var run struct {
			Steps []struct {
				ID      string `json:"id"`
				Status  string `json:"status"`
				TaskID  string `json:"task_id"`
				AgentID string `json:"agent_id"`
			} `json:"steps"`
		}
		s.must(t, http.MethodGet, "/v1/workflows/"+runID, nil, &run)
		for _, st := range run.Steps {
			if st.ID == stepID && st.Status == "assigned" && st.TaskID != "" {
				s.must(t, http.MethodPost, "/v1/tasks/"+st.TaskID+"/complete", map[string]any{"agent_id": st.AgentID,
					"output": map[string]any{"step": stepID}, "usage": map[string]any{"model": "sim", "input_tokens": 900, "output_tokens": 200}}, nil)
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("step %s of run %s was not assigned within 5 s: %+v", stepID, runID, run.Steps)
		}
	}
}

// swarmOf creates a swarm of the topology whose members are new agents,
// joined in order (the first leads a star or a hierarchy).
func swarmOf(t *testing.T, s *sim, name, topology string, members map[string][]string, order ...string) (string, []string) {
	t.Helper()
	id := createSwarm(t, s, map[string]any{"name": name, "topology": topology, "max_size": 10})
	var ids []string
	for _, m := range order {
		agentID := registerAgent(t, s, m, members[m]...)
		s.must(t, http.MethodPost, "/v1/swarms/"+id+"/members", map[string]any{"agent_id": agentID}, nil)
		ids = append(ids, agentID)
	}
	return id, ids
}

// seedFleet makes swarms of every topology drawn differently, tasks that
// wait for a capable member, and a proposal with votes.
func seedFleet(t *testing.T, s *sim) {
	t.Helper()
	triage, _ := swarmOf(t, s, "triage", "star", map[string][]string{"dispatcher": {"triage"}, "bug-bot": {"triage", "code"}, "docs-bot": {"docs"}},
		"dispatcher", "bug-bot", "docs-bot")
	for range 2 {
		s.must(t, http.MethodPost, "/v1/swarms/"+triage+"/tasks", map[string]any{"capability": "translate"}, nil) // no member can: it waits
	}
	ring, voters := swarmOf(t, s, "research", "ring", map[string][]string{"scout-1": {"research"}, "scout-2": {"research"}, "scout-3": {"research"}, "scout-4": {"research"}},
		"scout-1", "scout-2", "scout-3", "scout-4")
	_, _ = swarmOf(t, s, "review-pool", "mesh", map[string][]string{"critic-1": {"critique"}, "critic-2": {"critique"}, "critic-3": {"critique"}, "critic-4": {"critique"}},
		"critic-1", "critic-2", "critic-3", "critic-4")
	var p struct {
		Proposals []struct {
			ID string `json:"id"`
		} `json:"proposals"`
	}
	s.must(t, http.MethodPost, "/v1/swarms/"+ring+"/proposals", map[string]any{"question": "Adopt the new retrieval index?", "options": []string{"yes", "no"},
		"rule": "majority", "voting_period": "1h"}, &p)
	for i, choice := range []string{"yes", "yes", "no"} {
		s.must(t, http.MethodPost, "/v1/swarms/"+ring+"/proposals/"+p.Proposals[0].ID+"/votes", map[string]any{"agent_id": voters[i], "option": choice}, nil)
	}
}

// releaseSteps is a DAG with a fan-out, a fan-in, an edge that skips a
// layer, and an approval gate.
var releaseSteps = []any{
	map[string]any{"id": "plan", "capability": "plan", "planner": true},
	map[string]any{"id": "build", "capability": "code", "depends_on": []string{"plan"}},
	map[string]any{"id": "docs", "capability": "code", "depends_on": []string{"plan"}},
	map[string]any{"id": "test", "capability": "review", "depends_on": []string{"build"}},
	map[string]any{"id": "ship", "capability": "code", "depends_on": []string{"test", "docs"}, "approval": true},
}

// TestDashboardInABrowser drives the dashboard in headless Chromium: it
// signs in, sees an agent registered through the API appear without a
// reload, follows a workflow run's DAG as simulated agents do its steps,
// sees a viewer's approval refused with the server's problem, and approves
// the gate as an operator, by clicking. It saves a screenshot of each page
// to build/screenshots.
func TestDashboardInABrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the browser test runs headless Chromium")
	}
	s := startInProcess(t, time.Minute)
	crew, members := swarmOf(t, s, "release-crew", "hierarchical", map[string][]string{"lead": {"plan", "code"}, "coder-1": {"code"}, "coder-2": {"code"}, "reviewer": {"review"}},
		"lead", "coder-1", "coder-2", "reviewer")
	s.must(t, http.MethodPost, "/v1/swarms/"+crew+"/budget", map[string]any{"tokens": 100000}, nil)
	seedFleet(t, s)

	p := openBrowser(t, *s.url.Load())
	p.do("open the dashboard", 10*time.Second, chromedp.Navigate(p.url+"/"))
	checkModules(t, p) // before signing in: the page makes no call yet
	p.signIn(s.token, "Ada Admin", "sign-in")
	p.visible("the live stream", 5*time.Second, `#live[data-state="live"]`)

	agentArrives(t, p, s)
	runID := followRun(t, p, s, crew)
	decideGate(t, p, s, runID)
	tour(t, p, s, crew)
	usageShown(t, p, s, crew, members[3])
	p.noJSErrors()
}

// stepIn selects the step of the run's DAG in the state.
func stepIn(id, state string) string {
	return fmt.Sprintf(`svg.dag g.step[data-step=%q][data-state=%q]`, id, state)
}

// agentArrives registers an agent through the API and sees it on the
// agents page within a second.
func agentArrives(t *testing.T, p *browserPage, s *sim) {
	t.Helper()
	p.click("the agents page", `a[data-nav="agents"]`)
	p.visible("the agents grid", 5*time.Second, `.agent[data-status="idle"]`)
	newcomer := registerAgent(t, s, "newcomer", "code", "review")
	registered := time.Now()
	p.visible("the agent registered through the API, within a second", time.Second, fmt.Sprintf(`.agent[data-agent-id=%q]`, newcomer))
	t.Logf("the registered agent showed %v after its registration was answered", time.Since(registered).Round(time.Millisecond))
	p.shot("agents")
}

// followRun starts a run and follows its DAG while simulated agents do its
// steps, up to its approval gate; meanwhile it filters the agents grid.
func followRun(t *testing.T, p *browserPage, s *sim, swarmID string) string {
	t.Helper()
	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "release 1.4", "swarm_id": swarmID, "steps": releaseSteps,
		"budget": map[string]any{"tokens": 50000}}, &run)
	p.click("the runs page", `a[data-nav="runs"]`)
	p.visible("the run in the list", 5*time.Second, fmt.Sprintf(`tr[data-run-id=%q]`, run.ID))
	p.shot("runs")
	p.click("the run's page", fmt.Sprintf(`tr[data-run-id=%q] a`, run.ID))
	p.visible("plan running in the DAG", 5*time.Second, stepIn("plan", "running"))
	p.visible("ship pending in the DAG", time.Second, stepIn("ship", "pending"))
	p.shot("run-started")

	completeStep(t, s, run.ID, "plan")
	p.visible("plan completed", 5*time.Second, stepIn("plan", "completed"))
	p.visible("build running", 5*time.Second, stepIn("build", "running"))
	completeStep(t, s, run.ID, "build")
	p.visible("test running", 5*time.Second, stepIn("test", "running"))
	p.shot("run-running")
	filterAgents(t, p)
	p.click("the runs page", `a[data-nav="runs"]`)
	p.click("the run's page again", fmt.Sprintf(`tr[data-run-id=%q] a`, run.ID))
	completeStep(t, s, run.ID, "docs")
	completeStep(t, s, run.ID, "test")
	p.visible("ship awaiting approval", 5*time.Second, stepIn("ship", "awaiting_approval"))
	p.visible("the approve button", time.Second, `button[data-approve="ship"]`)
	p.shot("run-awaiting-approval")
	return run.ID
}

// filterAgents filters the agents grid, while two agents are busy, by
// status and by capability.
func filterAgents(t *testing.T, p *browserPage) {
	t.Helper()
	p.click("the agents page, while the run runs", `a[data-nav="agents"]`)
	p.visible("the reviewer busy", 5*time.Second, `.agent[data-status="busy"] .caps`)
	p.shot("agents-busy")
	p.click("only busy agents", `.summary .chip .status-busy`)
	if got := p.eval("the busy agents", afterFrame(`[...document.querySelectorAll('.agents-grid .agent')].map((a) => a.dataset.status).join()`)); got != "busy,busy" {
		t.Errorf("filtered by status busy, the grid shows agents of statuses %q, want the two busy ones", got)
	}
	p.click("all agents again", `.summary .chip .status-busy`)
	p.eval("filter by capability", `(() => { const s = document.querySelector('select[name="capability"]');
		s.value = 'review'; s.dispatchEvent(new Event('change')); return ''; })()`)
	shown := p.eval("the agents that review", afterFrame(`[...document.querySelectorAll('.agents-grid .agent h3')].map((h) => h.textContent).join()`))
	if shown != "newcomer,reviewer" {
		t.Errorf("filtered by capability review, the grid shows %q, want newcomer,reviewer", shown)
	}
}

// decideGate clicks Approve as a viewer, who gets the server's 403, then
// as an operator, and sees the run proceed to its end.
func decideGate(t *testing.T, p *browserPage, s *sim, runID string) {
	t.Helper()
	operator := newToken(t, s, map[string]any{"role": "operator", "name": "olga"})
	viewer := newToken(t, s, map[string]any{"role": "viewer", "name": "wall-screen"})
	p.click("sign out", "#signout")
	p.signIn(viewer, "Wall Screen", "")
	p.click("approve, as a viewer", `button[data-approve="ship"]`)
	p.visible("the viewer's 403 problem", 5*time.Second, `.problem[data-status="403"]`)
	if text := p.eval("the problem", `document.querySelector('.problem[data-status="403"]').textContent`); !strings.Contains(text, "operator") {
		t.Errorf("the 403 problem reads %q; want the roles that may", text)
	}
	p.shot("run-viewer-refused")
	p.visible("ship still awaiting approval", time.Second, stepIn("ship", "awaiting_approval"))

	p.click("sign out", "#signout")
	p.signIn(operator, "Olga Operator", "")
	p.click("dismiss the problem", `.problem[data-status="403"] .dismiss`)
	p.visible("the approve button", 5*time.Second, `button[data-approve="ship"]:enabled`)
	p.do("comment", 5*time.Second, chromedp.SendKeys(chromedp.CSS(`.gate-row[data-step="ship"] input`), "green across the board"))
	p.click("approve, as an operator", `button[data-approve="ship"]`)
	p.visible("ship running after the approval", 5*time.Second, stepIn("ship", "running"))
	completeStep(t, s, runID, "ship")
	p.visible("ship completed", 5*time.Second, stepIn("ship", "completed"))
	p.visible("the run completed", 5*time.Second, `.page-head .pill.status-completed`)
	p.visible("the approval in the timeline", time.Second, `.timeline li[data-type="step_approved"]`)
	// Five steps, each reporting 900 input and 200 output tokens.
	p.visible("the run's usage", 5*time.Second, `.run-usage [data-usage="tasks"]`)
	if got := p.eval("the run's usage", `document.querySelector('.run-usage [data-usage="tokens"]').textContent + ' / ' +
		document.querySelector('.run-usage .budget [data-bound="tokens"]').textContent`); got != "5,500 / 5,500 of 50,000 tokens · 44,500 left" {
		t.Errorf("the run page shows usage and budget %q, want 5,500 tokens of a 50,000 budget", got)
	}
	p.shot("run-completed")
}

// usageShown reads the usage of the swarm and of one agent (which did one
// step of the run) on their pages, and sees a swarm dissolved live.
func usageShown(t *testing.T, p *browserPage, s *sim, swarmID, agentID string) {
	t.Helper()
	p.click("the swarms page", `a[data-nav="swarms"]`)
	card := fmt.Sprintf(`#swarm-%s`, swarmID)
	p.visible("the swarm's budget", 5*time.Second, card+` .budget[data-exhausted="false"] [data-bound="tokens"]`)
	if got := p.eval("the swarm's usage", `document.querySelector('`+card+` [data-usage="tokens"]').textContent + ' / ' +
		document.querySelector('`+card+` [data-usage="tasks"]').textContent + ' / ' + document.querySelector('`+card+` [data-bound="tokens"]').textContent`); got != "5,500 / 5 / 5,500 of 100,000 tokens · 94,500 left" {
		t.Errorf("the swarm's card shows %q, want 5,500 tokens over 5 tasks of a 100,000 budget", got)
	}
	pool := swarm.IDFor("review-pool")
	s.must(t, http.MethodDelete, "/v1/swarms/"+pool+"?reason=merged", nil, nil)
	p.visible("the dissolved swarm, live", 5*time.Second, fmt.Sprintf(`#swarm-%s[data-status="dissolved"] .pill.status-dissolved`, pool))
	p.click("the agents page", `a[data-nav="agents"]`)
	agent := fmt.Sprintf(`.agent[data-agent-id=%q] [data-usage="tokens"]`, agentID)
	p.visible("the reviewer's usage", 5*time.Second, agent)
	if got := p.eval("the reviewer's usage", `document.querySelector('`+agent+`').textContent`); got != "1,100 tokens · cost 0.00" {
		t.Errorf("the reviewer's card shows usage %q, want its one step's 1,100 tokens", got)
	}
	p.click("the overview", `a[data-nav="overview"]`)
	p.visible("the tokens on the overview", 5*time.Second, `[data-stat="tokens"]`)
	if got := p.eval("the total tokens", `document.querySelector('[data-stat="tokens"]').textContent`); got != "5,500" {
		t.Errorf("the overview shows %q tokens, want 5,500", got)
	}
	p.shot("overview-usage")
}

// tour filters the runs by status, and visits the swarms, the feed (where
// a new decision arrives live) and the overview.
func tour(t *testing.T, p *browserPage, s *sim, swarmID string) {
	t.Helper()
	p.click("the runs page", `a[data-nav="runs"]`)
	p.visible("the runs' status filter", 5*time.Second, `select[name="status"]:has(option[value="budget_exhausted"])`)
	for status, want := range map[string]string{"running": "0", "completed": "1"} {
		p.eval("filter runs by status", `(() => { const s = document.querySelector('select[name="status"]');
			s.value = '`+status+`'; s.dispatchEvent(new Event('change')); return ''; })()`)
		if got := p.eval("the runs shown", afterFrame(`String(document.querySelectorAll('table.runs tbody tr').length)`)); got != want {
			t.Errorf("%s runs: the list shows %s, want %s", status, got, want)
		}
	}
	p.click("the swarms page", `a[data-nav="swarms"]`)
	p.visible("the hierarchy drawn", 5*time.Second, `svg.topo-hierarchical g.member.leader`)
	p.visible("the proposal's votes", time.Second, `.proposal .tally`)
	p.shot("swarms")
	p.click("the feed", `a[data-nav="feed"]`)
	p.visible("a decision in the feed", 5*time.Second, `.feed-item .reason`)
	var task struct {
		TaskID string `json:"task_id"`
	}
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/tasks", map[string]any{"capability": "review"}, &task)
	p.visible("the new task's assignment, live, at the top of the feed", 5*time.Second,
		fmt.Sprintf(`.feed li:first-child[data-type="task_assigned"][data-position="%d"]`, feedPosition(t, s, task.TaskID)))
	p.shot("feed")
	p.click("the overview", `a[data-nav="overview"]`)
	p.visible("the throughput chart", 5*time.Second, `svg.chart path.line-events`)
	p.visible("the lag table", 5*time.Second, `table.lag tbody tr`)
	p.shot("overview")
}

// moduleChecks runs the dashboard's own modules in the page on inputs
// whose answers the test knows: the SSE parser on a stream cut at awkward
// places, the live stream's reconnections (fetch replaced by a script of
// three streams: one that ends, one that resumes and is told to resync,
// one fresh), the rows' rule that only a newer position replaces a row,
// and the DAG's layers.
const moduleChecks = `(async () => {
  const {SSEParser, Live} = await import('/ui/live.js');
  const {Rows} = await import('/ui/store.js');
  const {layers, layout} = await import('/ui/dag.js');
  const events = [];
  const parser = new SSEParser((e) => events.push(e));
  for (const chunk of ['event: hel', 'lo\ndata: {"epoch":"e","last_id":"e-0"}\n', '\n: ping\n\nid: e-1\r\nevent: change\r',
    '\ndata: {"a":1}\r\n\r\n', 'data: x\ndata:y\n\nid: e-2\nevent: resync\ndata: {}\n', '\n']) parser.push(chunk);
  const rows = new Rows();
  rows.put('a', {v: 1}, 5);
  const older = rows.put('a', {v: 0}, 4), same = rows.put('a', {v: 2}, 5), newer = rows.put('a', {v: 3}, 6);
  const deleted = rows.delete('a', 7), revived = rows.put('a', {v: 4}, 6);
  rows.put('late', {v: 1}, 20);
  rows.put('gone', {v: 1}, 2);
  rows.load([['b', {position: 9}]]);
  const streams = [
    'event: hello\ndata: {"epoch":"e","last_id":"e-0"}\n\nid: e-5\nevent: change\ndata: {"topic":"agents","position":3,"op":"upsert","id":"a1","data":{}}\n\n',
    'event: hello\ndata: {"epoch":"e","last_id":"e-9"}\n\nevent: resync\ndata: {"reason":"too old"}\n\n',
    'event: hello\ndata: {"epoch":"f","last_id":"f-0"}\n\n',
  ];
  const calls = [], changes = [];
  let fresh = 0;
  const realFetch = window.fetch;
  await new Promise((done) => {
    window.fetch = (url, init) => {
      const i = calls.length;
      calls.push([String(url), init.headers['Last-Event-ID'] || '']);
      const body = new ReadableStream({start(c) {
        c.enqueue(new TextEncoder().encode(streams[i] || ''));
        if (i < 2) c.close();
        else setTimeout(done, 20);
        init.signal.addEventListener('abort', () => { try { c.error(new DOMException('aborted', 'AbortError')); } catch {} });
      }});
      return Promise.resolve(new Response(body, {status: 200, headers: {'Content-Type': 'text/event-stream'}}));
    };
    const live = new Live({onChange: (c) => changes.push(c.id), onFresh: () => fresh++, onState: () => {}});
    live.setTopics(['workflows/r1', 'agents']);
    window.stopLive = () => live.stop();
  });
  window.stopLive();
  window.fetch = realFetch;
  const dag = [{id: 'a', depends_on: []}, {id: 'b', depends_on: ['a']}, {id: 'c', depends_on: ['a', 'b']}, {id: 'd', depends_on: ['zz']}];
  const placed = layout(dag);
  return {
    events: events.map((e) => [e.event, e.id || '', e.data]),
    rows: {older, same, newer, deleted, revived, ids: [...rows.rows.keys()].sort()},
    layers: Object.fromEntries(layers(dag)),
    virtual: [...placed.nodes.values()].filter((n) => n.virtual).length,
    live: {calls, changes, fresh},
  };
})()`

func checkModules(t *testing.T, p *browserPage) {
	t.Helper()
	type result struct {
		Events [][3]string `json:"events"`
		Rows   struct {
			Older, Same, Newer, Deleted, Revived bool
			IDs                                  []string `json:"ids"`
		} `json:"rows"`
		Layers  map[string]int `json:"layers"`
		Virtual int            `json:"virtual"`
		Live    struct {
			Calls   [][2]string `json:"calls"`
			Changes []string    `json:"changes"`
			Fresh   int         `json:"fresh"`
		} `json:"live"`
	}
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	got, err := chromedp.Run(ctx, chromedp.Evaluate[result](moduleChecks, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("the modules' checks: %v", err)
	}
	wantEvents := [][3]string{
		{"hello", "", `{"epoch":"e","last_id":"e-0"}`}, {"comment", "", "ping"}, {"change", "e-1", `{"a":1}`},
		{"message", "", "x\ny"}, {"resync", "e-2", "{}"},
	}
	if fmt.Sprint(got.Events) != fmt.Sprint(wantEvents) {
		t.Errorf("SSE events = %q, want %q", got.Events, wantEvents)
	}
	r := got.Rows
	if r.Older || r.Same || !r.Newer || !r.Deleted || r.Revived || fmt.Sprint(r.IDs) != "[b late]" {
		t.Errorf("rows: older %v, same %v, newer %v, deleted %v, revived %v, kept %v; want only the newer change and the delete applied, "+
			"and a loaded list keeping only its rows and the one newer than it", r.Older, r.Same, r.Newer, r.Deleted, r.Revived, r.IDs)
	}
	url := "/v1/live?topics=agents%2Cworkflows%2Fr1"
	wantCalls := [][2]string{{url, ""}, {url, "e-5"}, {url, ""}}
	if l := got.Live; fmt.Sprint(l.Calls) != fmt.Sprint(wantCalls) || fmt.Sprint(l.Changes) != "[a1]" || l.Fresh != 2 {
		t.Errorf("live: calls %q, changes %v, %d fresh starts; want %q (resume after the change, then fresh after the resync), [a1], 2",
			l.Calls, l.Changes, l.Fresh, wantCalls)
	}
	if want := map[string]int{"a": 0, "b": 1, "c": 2, "d": 0}; fmt.Sprint(got.Layers) != fmt.Sprint(want) || got.Virtual != 1 {
		t.Errorf("DAG layers = %v with %d virtual points, want %v and one (the edge a→c skips a layer)", got.Layers, got.Virtual, want)
	}
}
