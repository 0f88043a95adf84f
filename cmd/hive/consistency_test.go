package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// do sends a request with extra headers and returns the status, headers
// and decoded JSON body.
func (s *sim) do(t *testing.T, method, path, body string, headers map[string]string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, *s.url.Load()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	s.authorize(req)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, resp.Header, out
}

func TestIfMatchGuardsCommands(t *testing.T) {
	s := startInProcess(t, time.Minute)
	status, h, body := s.do(t, http.MethodPost, "/v1/agents", `{"name": "careful"}`, nil)
	if status != http.StatusCreated || h.Get("ETag") != `"1"` {
		t.Fatalf("register: %d, ETag %q", status, h.Get("ETag"))
	}
	if pos, ok := body["position"].(float64); !ok || pos <= 0 || h.Get("Hive-Position") == "" {
		t.Fatalf("register answered position %v, header %q; want the event's position", body["position"], h.Get("Hive-Position"))
	}
	id := body["id"].(string)
	status, _, body = s.do(t, http.MethodPost, "/v1/agents/"+id+"/drain", `{}`, map[string]string{"If-Match": `"0"`})
	if status != http.StatusPreconditionFailed || body["current_version"] != float64(1) {
		t.Fatalf("drain at a stale version: %d %v, want 412 naming version 1", status, body)
	}
	status, _, body = s.do(t, http.MethodPost, "/v1/agents/"+id+"/drain", `{}`, map[string]string{"If-Match": "x"})
	if status != http.StatusBadRequest {
		t.Fatalf("unreadable If-Match: %d %v", status, body)
	}
	status, h, _ = s.do(t, http.MethodPost, "/v1/agents/"+id+"/drain", `{}`, map[string]string{"If-Match": `"1"`})
	if status != http.StatusOK || h.Get("ETag") != `"2"` {
		t.Fatalf("drain at the current version: %d, ETag %q", status, h.Get("ETag"))
	}
}

// authorize adds the sim's token to req, if it has one.
func (s *sim) authorize(req *http.Request) {
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
	}
}

func TestMinPositionReadsYourWrites(t *testing.T) {
	s := startInProcess(t, time.Minute)
	_, h, body := s.do(t, http.MethodPost, "/v1/agents", `{"name": "reader"}`, nil)
	pos := h.Get("Hive-Position")
	status, _, list := s.do(t, http.MethodGet, "/v1/agents?min_position="+pos, "", nil)
	if status != http.StatusOK {
		t.Fatalf("read at the command's position: %d %v", status, list)
	}
	agents, _ := list["agents"].([]any)
	if len(agents) != 1 || agents[0].(map[string]any)["id"] != body["id"] {
		t.Fatalf("agents at position %s = %v, want the one registered", pos, list)
	}
	if status, _, _ := s.do(t, http.MethodGet, "/v1/agents?min_position=-1", "", nil); status != http.StatusBadRequest {
		t.Fatalf("negative min_position: %d, want 400", status)
	}
	status, h, _ = s.do(t, http.MethodGet, "/v1/agents?min_position=999999999", "", nil)
	if status != http.StatusServiceUnavailable || h.Get("Retry-After") == "" {
		t.Fatalf("a position not reached: %d, Retry-After %q; want 503 with Retry-After", status, h.Get("Retry-After"))
	}
}

func TestListsPageWithCursorsAndFilter(t *testing.T) {
	s := startInProcess(t, time.Minute)
	for i, capability := range []string{"code", "review", "code", "code", "review"} {
		s.must(t, http.MethodPost, "/v1/agents", map[string]any{"name": fmt.Sprint("p", i), "capabilities": []string{capability}}, nil)
	}
	var names []string
	path := "/v1/agents?capability=code&limit=2"
	for pages := 0; path != ""; pages++ {
		if pages > 3 {
			t.Fatal("paging does not end")
		}
		var page struct {
			Agents []struct {
				Name string `json:"name"`
			} `json:"agents"`
			Next string `json:"next_cursor"`
		}
		s.must(t, http.MethodGet, path, nil, &page)
		for _, a := range page.Agents {
			names = append(names, a.Name)
		}
		path = ""
		if page.Next != "" {
			path = "/v1/agents?capability=code&limit=2&cursor=" + page.Next
		}
	}
	if strings.Join(names, ",") != "p0,p2,p3" {
		t.Fatalf("code agents over pages of 2: %v", names)
	}
	s.problem(t, http.MethodGet, "/v1/agents?limit=0", nil, http.StatusBadRequest, "limit")
	s.problem(t, http.MethodGet, "/v1/agents?cursor=bogus", nil, http.StatusBadRequest, "cursor")
	var swarms struct {
		Next string `json:"next_cursor"`
	}
	createSwarm(t, s, map[string]any{"name": "one", "topology": "mesh"})
	createSwarm(t, s, map[string]any{"name": "two", "topology": "mesh"})
	s.must(t, http.MethodGet, "/v1/swarms?limit=1", nil, &swarms)
	s.problem(t, http.MethodGet, "/v1/agents?cursor="+swarms.Next, nil, http.StatusBadRequest, "cursor")
}

func TestEventLogRoutes(t *testing.T) {
	s := startInProcess(t, time.Minute)
	var ag struct {
		ID string `json:"id"`
	}
	req, err := http.NewRequest(http.MethodPost, *s.url.Load()+"/v1/agents", strings.NewReader(`{"name": "audited"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Hive-Correlation-Id", "corr-audit-1")
	s.authorize(req)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.NewDecoder(resp.Body).Decode(&ag); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	s.must(t, http.MethodPost, "/v1/agents/"+ag.ID+"/drain", map[string]any{"reason": "audit"}, nil)

	type event struct {
		Stream        string         `json:"stream"`
		Version       int            `json:"version"`
		Type          string         `json:"type"`
		CorrelationID string         `json:"correlation_id"`
		Payload       map[string]any `json:"payload"`
		Hash          string         `json:"hash"`
	}
	var byCorr struct {
		Events []event `json:"events"`
		Next   string  `json:"next_cursor"`
	}
	s.must(t, http.MethodGet, "/v1/events?correlation_id=corr-audit-1", nil, &byCorr)
	if len(byCorr.Events) != 1 || byCorr.Events[0].Type != "hive.v1.AgentRegistered" || byCorr.Events[0].Payload["name"] != "audited" || len(byCorr.Events[0].Hash) != 64 {
		t.Fatalf("events of the correlation: %+v", byCorr.Events)
	}
	var stream struct {
		Events []event `json:"events"`
	}
	s.must(t, http.MethodGet, "/v1/streams/agent-"+ag.ID+"?direction=backward&limit=1", nil, &stream)
	if len(stream.Events) != 1 || stream.Events[0].Type != "hive.v1.AgentDraining" || stream.Events[0].Version != 2 {
		t.Fatalf("newest event of the agent's stream: %+v", stream.Events)
	}
	var rest struct {
		Events []event `json:"events"`
		Next   string  `json:"next_cursor"`
	}
	s.must(t, http.MethodGet, "/v1/events?type=hive.v1.AgentDraining", nil, &rest)
	if len(rest.Events) != 1 || rest.Next == "" {
		t.Fatalf("events of a type: %+v", rest)
	}
	var first, second struct {
		Events []event `json:"events"`
		Next   string  `json:"next_cursor"`
	}
	s.must(t, http.MethodGet, "/v1/events?limit=1&stream=agent-"+ag.ID, nil, &first)
	s.must(t, http.MethodGet, "/v1/events?limit=1&stream=agent-"+ag.ID+"&cursor="+first.Next, nil, &second)
	if len(first.Events) != 1 || len(second.Events) != 1 || first.Events[0].Version != 1 || second.Events[0].Version != 2 {
		t.Fatalf("pages of one: %+v then %+v", first.Events, second.Events)
	}
	s.problem(t, http.MethodGet, "/v1/streams/agent-nope", nil, http.StatusNotFound, "")
	s.problem(t, http.MethodGet, "/v1/streams/agent-"+ag.ID+"?direction=sideways", nil, http.StatusBadRequest, "direction")
}

func TestIdempotencyKeyReplaysTheResponse(t *testing.T) {
	s := startInProcess(t, time.Minute)
	key := map[string]string{"Idempotency-Key": "register-k1"}
	status, h1, first := s.do(t, http.MethodPost, "/v1/agents", `{"name": "once"}`, key)
	if status != http.StatusCreated {
		t.Fatalf("first request: %d %v", status, first)
	}
	status, h2, again := s.do(t, http.MethodPost, "/v1/agents", `{"name": "once"}`, key)
	if status != http.StatusCreated || h2.Get("Idempotent-Replayed") != "true" || again["id"] != first["id"] ||
		h2.Get("Hive-Position") != h1.Get("Hive-Position") || h2.Get("Location") != h1.Get("Location") {
		t.Fatalf("same key, same request: %d %v %v; want the first response replayed", status, h2, again)
	}
	var log struct {
		Events []struct {
			Type string `json:"type"`
		} `json:"events"`
	}
	s.must(t, http.MethodGet, "/v1/events?type=hive.v1.AgentRegistered", nil, &log)
	if len(log.Events) != 1 {
		t.Fatalf("%d registrations recorded, want 1", len(log.Events))
	}
	status, _, body := s.do(t, http.MethodPost, "/v1/agents", `{"name": "other"}`, key)
	if status != http.StatusUnprocessableEntity || !strings.Contains(fmt.Sprint(body["errors"]), "Idempotency-Key") {
		t.Fatalf("same key, another body: %d %v; want 422 naming Idempotency-Key", status, body)
	}
	// A refusal is replayed too: the key stands for the request's outcome.
	dup := map[string]string{"Idempotency-Key": "register-dup"}
	status, _, _ = s.do(t, http.MethodPost, "/v1/agents", `{"name": "once"}`, dup)
	if status != http.StatusConflict {
		t.Fatalf("registering a taken name: %d", status)
	}
	if status, h, _ := s.do(t, http.MethodPost, "/v1/agents", `{"name": "once"}`, dup); status != http.StatusConflict || h.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replayed refusal: %d %v", status, h)
	}
	if status, _, _ := s.do(t, http.MethodPost, "/v1/agents", `{"name": "x"}`, map[string]string{"Idempotency-Key": "bad key"}); status != http.StatusBadRequest {
		t.Fatalf("a key with a space: %d, want 400", status)
	}
}

func TestConcurrentRequestsWithOneKeyRunOnce(t *testing.T) {
	s := startInProcess(t, time.Minute)
	var wg sync.WaitGroup
	statuses := make([]int, 8)
	for i := range statuses {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _, _ = s.do(t, http.MethodPost, "/v1/swarms", `{"name": "raced", "topology": "mesh"}`, map[string]string{"Idempotency-Key": "race"})
		}()
	}
	wg.Wait()
	for i, st := range statuses {
		if st != http.StatusCreated {
			t.Fatalf("request %d: %d, want every one to get the first response (201)", i, st)
		}
	}
}
