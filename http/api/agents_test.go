package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestRegisterThenRead(t *testing.T) {
	s := startStack(t, t.TempDir())
	created := s.post(t, "/v1/agents", map[string]any{
		"name": "coder-1", "capabilities": []string{"code", "review"}, "labels": map[string]string{"team": "core"}, "max_concurrency": 3,
	})
	if created.status != http.StatusCreated {
		t.Fatalf("POST = %d %s", created.status, created.raw)
	}
	id, _ := created.body["id"].(string)
	if id == "" || created.body["name"] != "coder-1" || created.body["status"] != "idle" || created.body["max_concurrency"] != 3.0 {
		t.Fatalf("created agent = %s", created.raw)
	}
	if loc := created.header.Get("Location"); loc != "/v1/agents/"+id {
		t.Errorf("Location = %q", loc)
	}
	if created.header.Get("Hive-Position") == "" {
		t.Error("no Hive-Position header")
	}
	// The response waited for the read model: the next read sees the write.
	got := s.get(t, "/v1/agents/"+id)
	if got.status != http.StatusOK || got.body["name"] != "coder-1" || got.body["labels"].(map[string]any)["team"] != "core" {
		t.Fatalf("GET = %d %s", got.status, got.raw)
	}
	list := s.get(t, "/v1/agents")
	agents, _ := list.body["agents"].([]any)
	if list.status != http.StatusOK || len(agents) != 1 {
		t.Fatalf("list = %d %s", list.status, list.raw)
	}
}

func TestRegisterSameNameTwiceConflicts(t *testing.T) {
	s := startStack(t, t.TempDir())
	if r := s.post(t, "/v1/agents", map[string]any{"name": "twin"}); r.status != http.StatusCreated {
		t.Fatalf("first POST = %d %s", r.status, r.raw)
	}
	before := s.head(t)
	r := s.post(t, "/v1/agents", map[string]any{"name": "twin", "capabilities": []string{"other"}})
	assertProblem(t, r, http.StatusConflict, "")
	if h := s.head(t); h != before {
		t.Errorf("a refused registration appended: head %d -> %d", before, h)
	}
}

func TestUnknownAgentAndRoute(t *testing.T) {
	s := startStack(t, t.TempDir())
	assertProblem(t, s.get(t, "/v1/agents/00000000-0000-0000-0000-000000000000"), http.StatusNotFound, "")
	assertProblem(t, s.get(t, "/v1/nothing-here"), http.StatusNotFound, "")
	assertProblem(t, s.do(t, http.MethodDelete, "/v1/agents", "", nil), http.StatusMethodNotAllowed, "")
}

func TestBadInputChangesNothing(t *testing.T) {
	s := startStack(t, t.TempDir())
	before := s.head(t)
	tests := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"malformed JSON", `{"name": "a",`, http.StatusBadRequest, ""},
		{"not JSON at all", `name=a`, http.StatusBadRequest, ""},
		{"empty body", ``, http.StatusBadRequest, ""},
		{"two JSON values", `{"name":"a"} {"name":"b"}`, http.StatusBadRequest, ""},
		{"array instead of object", `[1,2]`, http.StatusBadRequest, "body"},
		{"unknown field", `{"name":"a","nmae":"b"}`, http.StatusBadRequest, "nmae"},
		{"missing name", `{"capabilities":["code"]}`, http.StatusUnprocessableEntity, "name"},
		{"empty name", `{"name":""}`, http.StatusUnprocessableEntity, "name"},
		{"null name", `{"name":null}`, http.StatusUnprocessableEntity, "name"},
		{"name over 200 characters", fmt.Sprintf(`{"name":%q}`, strings.Repeat("n", 201)), http.StatusUnprocessableEntity, "name"},
		{"name of the wrong type", `{"name":42}`, http.StatusBadRequest, "name"},
		{"max_concurrency too large for an int", `{"name":"a","max_concurrency":1e40}`, http.StatusBadRequest, "max_concurrency"},
		{"negative max_concurrency", `{"name":"a","max_concurrency":-2}`, http.StatusUnprocessableEntity, "max_concurrency"},
		{"bad capability", `{"name":"a","capabilities":["has space"]}`, http.StatusUnprocessableEntity, "capabilities[0]"},
		{"invalid UTF-8 in the name", "{\"name\":\"a\xffb\"}", http.StatusBadRequest, "name"},
		{"invalid UTF-8 in a label", "{\"name\":\"a\",\"labels\":{\"team\":\"\xc3\"}}", http.StatusBadRequest, "labels.team"},
		{"invalid UTF-8 in a capability", "{\"name\":\"a\",\"capabilities\":[\"ok\",\"\xed\xa0\x80\"]}", http.StatusBadRequest, "capabilities[1]"},
		{"an unpaired surrogate escape", `{"name":"a\udc00"}`, http.StatusBadRequest, "name"},
		{"body over 1 MiB", fmt.Sprintf(`{"name":"a","labels":{"k":%q}}`, strings.Repeat("v", 1<<20)), http.StatusRequestEntityTooLarge, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, http.MethodPost, "/v1/agents", "application/json", []byte(tc.body))
			assertProblem(t, r, tc.status, tc.field)
		})
	}
	if h := s.head(t); h != before {
		t.Fatalf("bad input appended events: head is %d, was %d", h, before)
	}
	if list := s.get(t, "/v1/agents"); len(list.body["agents"].([]any)) != 0 {
		t.Fatalf("bad input registered agents: %s", list.raw)
	}
}

// assertProblem checks that r is a problem+json error of status, naming
// field among its errors when field is not empty.
func assertProblem(t *testing.T, r response, status int, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("Content-Type %q, want application/problem+json", ct)
	}
	if r.body["status"] != float64(status) || r.body["type"] == "" || r.body["title"] == "" || r.body["detail"] == "" {
		t.Errorf("problem body incomplete: %s", r.raw)
	}
	if field == "" {
		return
	}
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		if e.(map[string]any)["field"] == field && e.(map[string]any)["reason"] != "" {
			return
		}
	}
	t.Errorf("problem does not name field %q: %s", field, r.raw)
}

func TestAgentsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	s := startStack(t, dir)
	ids := map[string]string{}
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("agent-%02d", i)
		r := s.post(t, "/v1/agents", map[string]any{"name": name, "capabilities": []string{"code"}})
		if r.status != http.StatusCreated {
			t.Fatalf("POST %s = %d", name, r.status)
		}
		ids[name] = r.body["id"].(string)
	}
	s.stop()

	s = startStack(t, dir)
	eventually(t, "ready after restart", func() bool { return s.get(t, "/readyz").status == http.StatusOK })
	for name, id := range ids {
		r := s.get(t, "/v1/agents/"+id)
		if r.status != http.StatusOK || r.body["name"] != name {
			t.Fatalf("after restart GET %s = %d %s", name, r.status, r.raw)
		}
	}
	if list := s.get(t, "/v1/agents"); len(list.body["agents"].([]any)) != len(ids) {
		t.Fatalf("after restart list has %d agents, want %d", len(list.body["agents"].([]any)), len(ids))
	}
	// The recovered actor still knows its name is taken.
	assertProblem(t, s.post(t, "/v1/agents", map[string]any{"name": "agent-00"}), http.StatusConflict, "")
}

func TestOperationalEndpoints(t *testing.T) {
	s := startStack(t, t.TempDir())
	if r := s.get(t, "/healthz"); r.status != http.StatusOK {
		t.Fatalf("healthz = %d", r.status)
	}
	eventually(t, "ready", func() bool { return s.get(t, "/readyz").status == http.StatusOK })
	s.post(t, "/v1/agents", map[string]any{"name": "measured"})
	s.post(t, "/v1/agents", map[string]any{"name": "measured"})
	metrics := string(s.get(t, "/metrics").raw)
	for _, want := range []string{
		`hive_commands_total{command="RegisterAgent",kind="agent",outcome="accepted"} 1`,
		`hive_commands_total{command="RegisterAgent",kind="agent",outcome="rejected"} 1`,
		`hive_store_events_appended_total 2`, // the admin token's, and the agent's
		`hive_store_append_duration_seconds_count`,
		`hive_projection_position{projection="agents"} 2`,
		`hive_projection_lag_positions{projection="agents"} 0`,
		`hive_store_head_position 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestCommandMetadataIsRecorded(t *testing.T) {
	s := startStack(t, t.TempDir())
	req, err := http.NewRequest(http.MethodPost, s.url+"/v1/agents", strings.NewReader(`{"name":"traced"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Hive-Correlation-Id", "deploy-42")
	req.Header.Set("Authorization", "Bearer "+s.admin)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST = %d", res.StatusCode)
	}
	all, err := s.store.ReadAll(context.Background(), 0, 10)
	if err != nil || len(all) != 2 {
		t.Fatalf("log: %d events (want the admin token's and the agent's), %v", len(all), err)
	}
	e := all[1]
	if e.CorrelationID != "deploy-42" || e.CausationID == "" || !strings.HasPrefix(e.Principal, "token:") || e.Type != "hive.v1.AgentRegistered" {
		t.Errorf("recorded metadata = %+v", e.Metadata)
	}

	bad, err := http.NewRequest(http.MethodPost, s.url+"/v1/agents", strings.NewReader(`{"name":"other"}`))
	if err != nil {
		t.Fatal(err)
	}
	bad.Header.Set("Hive-Correlation-Id", strings.Repeat("x", 129))
	bad.Header.Set("Authorization", "Bearer "+s.admin)
	r, err := http.DefaultClient.Do(bad)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusBadRequest {
		t.Errorf("oversized correlation id: %d, want 400", r.StatusCode)
	}
}
