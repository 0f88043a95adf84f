package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// fuzzRoutes are the API's routes with placeholders for the ids of entities
// the fuzz test creates first. The workers' long-poll and stream routes are
// left out: they wait by design.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/v1/agents"}, {"GET", "/v1/agents"}, {"GET", "/v1/agents/{agent}"},
	{"POST", "/v1/agents/{agent}/heartbeat"}, {"POST", "/v1/agents/{agent}/drain"}, {"DELETE", "/v1/agents/{agent}"},
	{"GET", "/v1/agents/{agent}/tasks"},
	{"POST", "/v1/swarms"}, {"GET", "/v1/swarms"}, {"GET", "/v1/swarms/{swarm}"},
	{"POST", "/v1/swarms/{swarm}/members"}, {"DELETE", "/v1/swarms/{swarm}/members/{agent}"},
	{"POST", "/v1/swarms/{swarm}/tasks"}, {"POST", "/v1/swarms/{swarm}/budget"},
	{"POST", "/v1/swarms/{swarm}/proposals"}, {"POST", "/v1/swarms/{swarm}/proposals/{proposal}/votes"},
	{"GET", "/v1/events"}, {"GET", "/v1/streams/{stream}"},
	{"GET", "/v1/tasks/{task}"}, {"POST", "/v1/tasks/{task}/complete"}, {"POST", "/v1/tasks/{task}/fail"},
	{"POST", "/v1/tasks/{task}/progress"},
	{"POST", "/v1/workflow-definitions"}, {"GET", "/v1/workflow-definitions"}, {"GET", "/v1/workflow-definitions/{definition}"},
	{"POST", "/v1/workflows"}, {"GET", "/v1/workflows"}, {"GET", "/v1/workflows/{run}"},
	{"POST", "/v1/workflows/{run}/pause"}, {"POST", "/v1/workflows/{run}/resume"}, {"POST", "/v1/workflows/{run}/cancel"},
	{"POST", "/v1/workflows/{run}/budget"},
	{"POST", "/v1/workflows/{run}/steps/{step}/approve"}, {"POST", "/v1/workflows/{run}/steps/{step}/reject"},
	{"POST", "/v1/workflows/{run}/steps/{step}/retry"},
	{"PATCH", "/v1/swarms/{swarm}"}, {"DELETE", "/v1/swarms/{swarm}"},
}

// FuzzAPI sends arbitrary bodies, query strings and ids to every route of
// the assembled server and requires an answer that is not a 5xx, and, for a
// 4xx, a problem that says what is wrong. Run it with
// `go test -run '^$' -fuzz FuzzAPI ./cmd/hive/`; the seeds (in code and in
// testdata/fuzz/FuzzAPI) run with every `go test`.
func FuzzAPI(f *testing.F) {
	seeds := []struct {
		route     uint8
		id, query string
		body      string
	}{
		{0, "", "", `{"name": "fz", "capabilities": ["code"], "max_concurrency": 1e300}`},
		{0, "", "", `{"name": "` + "\xff\xfe" + `"}`},
		{0, "", "", strings.Repeat("[", 100000)},
		{1, "", "limit=-5&cursor=%%%", ""},
		{1, "", "status=idle&label=a", ""},
		{4, "", "", `{"reason": 12}`},
		{7, "", "", `{"name": "s", "topology": "blob", "weights": {"load": -1}}`},
		{10, "", "", `{"agent_id": "not-a-uuid"}`},
		{12, "", "", `{"capability": "code", "input": {"a": 1}, "priority": 99, "timeout": "forever"}`},
		{14, "", "", `{"question": "q", "options": ["a", "a"], "rule": "dictator", "quorum": 7, "voting_period": "-1s"}`},
		{16, "", "after=18446744073709551615&type=\x00", ""},
		{17, "../../etc", "from=0&direction=up", ""},
		{19, "", "", `{"agent_id": "{agent}", "output": "` + strings.Repeat("x", 300000) + `"}`},
		{20, "", "", `{"agent_id": "{agent}", "retryable": "yes"}`},
		{22, "", "", `{"name": "d", "steps": [{"id": "a", "depends_on": ["a"]}]}`},
		{25, "", "", `{"swarm_id": "{swarm}", "steps": [{"id": "a", "retry": {"max_attempts": -1, "backoff": "1y"}}]}`},
		{25, "", "", `{"swarm_id": "{swarm}", "definition": "nope", "definition_version": -3}`},
		{31, "", "", `{"tokens": 9223372036854775807, "cost_micros": -1}`},
		{32, "zz", "", `{"by": 1}`},
		{2, "00000000-0000-0000-0000-000000000000", "", ""},
	}
	for _, s := range seeds {
		f.Add(s.route, s.id, s.query, []byte(s.body))
	}
	s := startInProcess(f, time.Minute)
	ids := fuzzFixtures(f, s)
	f.Fuzz(func(t *testing.T, route uint8, id, query string, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		path := r.path
		for k, v := range ids {
			if id != "" && strings.Contains(path, "{"+k+"}") {
				v, id = url.PathEscape(id), ""
			}
			path = strings.ReplaceAll(path, "{"+k+"}", v)
		}
		for k, v := range ids {
			body = bytes.ReplaceAll(body, []byte("{"+k+"}"), []byte(v))
		}
		// Reads that wait by design are not what this test is about.
		q, err := url.ParseQuery(query)
		if err == nil {
			q.Del("min_position")
			query = q.Encode()
		}
		req, err := http.NewRequest(r.method, *s.url.Load()+path+"?"+query, bytes.NewReader(body))
		if err != nil {
			return // not a request a client could send
		}
		req.Header.Set("Content-Type", "application/json")
		s.authorize(req)
		resp, err := s.client.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", r.method, path, err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 {
			t.Fatalf("%s %s?%s with %q: %d %s", r.method, path, query, body, resp.StatusCode, raw)
		}
		if resp.StatusCode >= 400 {
			var p struct {
				Status int    `json:"status"`
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(raw, &p); err != nil || p.Status != resp.StatusCode || p.Detail == "" {
				t.Fatalf("%s %s: %d answered %s, not a problem saying why", r.method, path, resp.StatusCode, raw)
			}
		}
	})
}

// fuzzFixtures creates an agent in a swarm with a task, a run with a step,
// a proposal and a definition, and returns their ids by placeholder name.
func fuzzFixtures(tb testing.TB, s *sim) map[string]string {
	t := tb
	t.Helper()
	var ag, sw, run, def struct {
		ID string `json:"id"`
	}
	s.mustTB(t, http.MethodPost, "/v1/agents", map[string]any{"name": "fuzz-agent", "capabilities": []string{"code"}}, &ag)
	s.mustTB(t, http.MethodPost, "/v1/swarms", map[string]any{"name": "fuzz-swarm", "topology": "mesh"}, &sw)
	s.mustTB(t, http.MethodPost, "/v1/swarms/"+sw.ID+"/members", map[string]any{"agent_id": ag.ID}, nil)
	s.mustTB(t, http.MethodPost, "/v1/workflow-definitions", map[string]any{"name": "fuzz-def", "steps": []any{map[string]any{"id": "a"}}}, &def)
	s.mustTB(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "fuzz-run", "swarm_id": sw.ID,
		"steps": []any{map[string]any{"id": "a", "capability": "code"}, map[string]any{"id": "gate", "approval": true}}}, &run)
	var proposal struct {
		Proposals []struct {
			ID string `json:"id"`
		} `json:"proposals"`
	}
	s.mustTB(t, http.MethodPost, "/v1/swarms/"+sw.ID+"/proposals", map[string]any{"question": "q", "options": []string{"a", "b"}, "rule": "majority", "voting_period": "1h"}, &proposal)
	return map[string]string{
		"agent": ag.ID, "swarm": sw.ID, "run": run.ID, "definition": def.ID, "step": "gate", "task": sw.ID + ".1",
		"proposal": proposal.Proposals[0].ID, "stream": "agent-" + ag.ID,
	}
}

// mustTB is must for a fuzz target's set-up.
func (s *sim) mustTB(tb testing.TB, method, path string, body, out any) {
	tb.Helper()
	if _, err := s.call(method, path, body, out); err != nil {
		tb.Fatal(fmt.Errorf("fuzz set-up: %w", err))
	}
}
