package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"hive/http/client"
)

// newAPIClient returns a client of the server s drives.
func newAPIClient(t *testing.T, s *sim) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Server: *s.url.Load(), Token: s.token, HTTPClient: &http.Client{Timeout: 2 * client.MaxWait}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// member registers an agent through c and makes it a member of a new
// mesh swarm; it returns the swarm's and the agent's ids.
func member(t *testing.T, s *sim, c *client.Client, name string, capabilities ...string) (swarmID, agentID string) {
	t.Helper()
	swarmID = createSwarm(t, s, map[string]any{"name": name + "-swarm", "topology": "mesh"})
	a, err := c.Register(t.Context(), client.Registration{Name: name, Capabilities: capabilities})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.JoinSwarm(t.Context(), swarmID, a.ID); err != nil {
		t.Fatal(err)
	}
	return swarmID, a.ID
}

func TestAssignmentsLongPoll(t *testing.T) {
	s := startInProcess(t, time.Minute)
	c := newAPIClient(t, s)
	swarmID, id := member(t, s, c, "poller", "code")
	ctx := t.Context()

	s.problem(t, http.MethodGet, "/v1/agents/"+id+"/assignments?wait=2m", nil, http.StatusUnprocessableEntity, "wait")
	s.problem(t, http.MethodGet, "/v1/agents/"+id+"/assignments?wait=soon", nil, http.StatusUnprocessableEntity, "wait")
	s.problem(t, http.MethodGet, "/v1/agents/"+id+"/assignments?after=x", nil, http.StatusUnprocessableEntity, "after")
	s.problem(t, http.MethodGet, "/v1/agents/"+client.AgentID("nobody")+"/assignments", nil, http.StatusNotFound, "")

	start := time.Now()
	w, err := c.Assignments(ctx, id, 300*time.Millisecond, 0)
	if err != nil || len(w.Assignments) != 0 || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("idle poll: %+v, %v after %v; want an empty list after the wait", w, err, time.Since(start))
	}

	arrived := make(chan client.Work, 1)
	go func() {
		w, err := c.Assignments(ctx, id, 20*time.Second, 0)
		if err != nil {
			t.Errorf("waiting poll: %v", err)
		}
		arrived <- w
	}()
	time.Sleep(100 * time.Millisecond) // the poll waits meanwhile
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/tasks", map[string]any{"capability": "code", "input": map[string]any{"q": 1}}, nil)
	select {
	case w = <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting poll did not return when a task was assigned")
	}
	if len(w.Assignments) != 1 || string(w.Assignments[0].Input) != `{"q":1}` || w.Assignments[0].Attempt != 1 || w.Cursor == 0 {
		t.Fatalf("poll answered %+v, want the task with its input and attempt 1", w)
	}
	task := w.Assignments[0].TaskID

	start = time.Now()
	again, err := c.Assignments(ctx, id, 20*time.Second, 0)
	if err != nil || len(again.Assignments) != 1 || again.Assignments[0].TaskID != task || time.Since(start) > 5*time.Second {
		t.Fatalf("poll from cursor 0 with a task in flight: %+v, %v after %v; want it at once", again, err, time.Since(start))
	}
	start = time.Now()
	if known, err := c.Assignments(ctx, id, 200*time.Millisecond, w.Cursor); err != nil || time.Since(start) < 200*time.Millisecond || len(known.Assignments) != 1 {
		t.Fatalf("poll after the cursor: %+v, %v after %v; want the known task after the whole wait", known, err, time.Since(start))
	}

	if err := c.Progress(ctx, task, client.Progress{AgentID: id, Message: "halfway", Percent: 50}); err != nil {
		t.Fatalf("progress: %v", err)
	}
	checkProblem(t, c.Progress(ctx, task, client.Progress{AgentID: id, Percent: 150}), http.StatusUnprocessableEntity, "percent")
	checkProblem(t, c.Progress(ctx, task, client.Progress{AgentID: "x"}), http.StatusUnprocessableEntity, "agent_id")
	other, err := c.Register(ctx, client.Registration{Name: "bystander", Capabilities: []string{"code"}})
	if err != nil {
		t.Fatal(err)
	}
	checkProblem(t, c.Progress(ctx, task, client.Progress{AgentID: other.ID, Message: "mine?"}), http.StatusConflict, "")

	big, _ := json.Marshal(strings.Repeat("x", 300<<10))
	checkProblem(t, c.Complete(ctx, task, client.Result{AgentID: id, Output: big}), http.StatusRequestEntityTooLarge, "output")
	huge, _ := json.Marshal(strings.Repeat("x", 2<<20))
	checkProblem(t, c.Complete(ctx, task, client.Result{AgentID: id, Output: huge}), http.StatusRequestEntityTooLarge, "output")
	if err := c.Complete(ctx, task, client.Result{AgentID: id, Output: json.RawMessage(`{"ok":true}`), Usage: client.Usage{Model: "m", InputTokens: 3}}); err != nil {
		t.Fatalf("complete: %v", err)
	}
	if w, err := c.Assignments(ctx, id, 0, 0); err != nil || len(w.Assignments) != 0 {
		t.Fatalf("after the completion: %+v, %v; want nothing in flight", w, err)
	}
}

// checkProblem checks that err is a problem of status naming field (if
// not empty).
func checkProblem(t *testing.T, err error, status int, field string) {
	t.Helper()
	var p *client.ProblemError
	if !errors.As(err, &p) || p.Status != status {
		t.Fatalf("got %v, want a %d problem", err, status)
	}
	if _, ok := p.Field(field); field != "" && !ok {
		t.Fatalf("problem %v does not name %q", p, field)
	}
}

func TestRegisteringAgainResumes(t *testing.T) {
	s := startInProcess(t, time.Minute)
	c := newAPIClient(t, s)
	first, err := c.Register(t.Context(), client.Registration{Name: "phoenix", Capabilities: []string{"code", "review"}})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Register(t.Context(), client.Registration{Name: "phoenix", Capabilities: []string{"review", "code"}})
	if err != nil || again.ID != first.ID {
		t.Fatalf("registering again: %+v, %v; want agent %s", again, err, first.ID)
	}
	_, err = c.Register(t.Context(), client.Registration{Name: "phoenix", Capabilities: []string{"plan"}})
	checkProblem(t, err, http.StatusConflict, "")
}

func TestPollingIsAHeartbeat(t *testing.T) {
	s := startInProcess(t, time.Second)
	c := newAPIClient(t, s)
	_, id := member(t, s, c, "quiet", "code")
	if _, err := c.Assignments(t.Context(), id, 3*time.Second, 0); err != nil {
		t.Fatal(err)
	}
	if a, err := c.Agent(t.Context(), id); err != nil || a.Status != "idle" {
		t.Fatalf("after a poll of 3s, three heartbeat timeouts: %+v, %v; want idle", a, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for a, _ := c.Agent(t.Context(), id); a.Status != "lost"; a, _ = c.Agent(t.Context(), id) {
		if time.Now().After(deadline) {
			t.Fatalf("agent silent for 10s is %q, want lost", a.Status)
		}
		time.Sleep(20 * time.Millisecond)
	}
	polled := time.Now()
	if _, err := c.Assignments(t.Context(), id, 0, 0); err != nil {
		t.Fatal(err)
	}
	// The poll's heartbeat recovered the agent: its deadline moved past the
	// poll (its status may be lost again by now on a slow machine).
	deadline = time.Now().Add(5 * time.Second)
	for a, _ := c.Agent(t.Context(), id); !a.Deadline.After(polled); a, _ = c.Agent(t.Context(), id) {
		if time.Now().After(deadline) {
			t.Fatalf("lost agent after a poll: %+v; want it recovered, its deadline after %v", a, polled)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAssignmentStream(t *testing.T) {
	s := startInProcess(t, time.Minute)
	c := newAPIClient(t, s)
	swarmID, id := member(t, s, c, "streamer", "code")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *s.url.Load()+"/v1/agents/"+id+"/assignments/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	s.authorize(req)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("stream answered %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	events := make(chan [2]string, 8) // event name, data
	go func() {
		defer close(events)
		sc := bufio.NewScanner(resp.Body)
		var name string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				events <- [2]string{name, strings.TrimPrefix(line, "data: ")}
			}
		}
	}()
	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "streamed", "swarm_id": swarmID, "steps": []any{step("only", "code")}}, &run)
	next := func(want string) client.Assignment {
		t.Helper()
		select {
		case e, ok := <-events:
			var a client.Assignment
			if !ok || e[0] != want || json.Unmarshal([]byte(e[1]), &a) != nil || a.TaskID == "" {
				t.Fatalf("stream sent %q %s (open: %v), want %s", e[0], e[1], ok, want)
			}
			return a
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s event in 10s", want)
		}
		return client.Assignment{}
	}
	a := next("assignment")
	if a.RunID != run.ID || a.StepID != "only" {
		t.Fatalf("assignment %+v, want step only of run %s", a, run.ID)
	}
	s.must(t, http.MethodPost, "/v1/workflows/"+run.ID+"/cancel", map[string]any{"reason": "enough"}, nil)
	if r := next("cancelled"); r.TaskID != a.TaskID {
		t.Fatalf("cancelled %s, want %s", r.TaskID, a.TaskID)
	}
}
