package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"hive/actors/decision"
)

// TestOversizedListsAreRefusedBeforeTheirActor sends each command that
// carries a list with one item more than its limit (and a proposal with as
// many options as a body can hold), and wants a 422 that names the list
// alone, decided before the command reached an entity: no entity counted
// it.
func TestOversizedListsAreRefusedBeforeTheirActor(t *testing.T) {
	s := startInProcess(t, time.Minute)
	sw := createSwarm(t, s, map[string]any{"name": "limits", "topology": "mesh"})
	agentID := registerAgent(t, s, "limits-agent", "code")
	tests := []struct {
		name, path, command, field string
		body                       any
	}{
		{
			name: "a proposal's options filling the body", path: "/v1/swarms/" + sw + "/proposals", command: "Propose", field: "options",
			body: map[string]any{"question": "q", "rule": "majority", "voting_period": "1h", "options": distinct("o", 110_000)},
		},
		{
			name: "an agent's capabilities", path: "/v1/agents", command: "RegisterAgent", field: "capabilities",
			body: map[string]any{"name": "many-capabilities", "capabilities": distinct("c", decision.MaxCapabilities+1)},
		},
		{
			name: "an agent's labels", path: "/v1/agents", command: "RegisterAgent", field: "labels",
			body: map[string]any{"name": "many-labels", "labels": labels(decision.MaxLabels + 1)},
		},
		{
			name: "a run's steps", path: "/v1/workflows", command: "StartWorkflow", field: "steps",
			body: map[string]any{"name": "big", "swarm_id": sw, "steps": stepChain(decision.MaxSteps + 1)},
		},
		{
			name: "a step's dependencies", path: "/v1/workflows", command: "StartWorkflow", field: "steps[1].depends_on",
			body: map[string]any{"name": "wide-join", "swarm_id": sw, "steps": []any{
				map[string]any{"id": "a"}, map[string]any{"id": "join", "depends_on": distinct("s", decision.MaxDependencies+1)}}},
		},
		{
			name: "a definition's steps", path: "/v1/workflow-definitions", command: "SaveDefinition", field: "steps",
			body: map[string]any{"name": "big", "steps": stepChain(decision.MaxSteps + 1)},
		},
		{
			name: "the steps a planner adds", path: "/v1/tasks/" + sw + ".1/complete", command: "CompleteTask", field: "add_steps",
			body: map[string]any{"agent_id": agentID, "add_steps": stepChain(decision.MaxSteps + 1)},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := commandsHandled(t, s, tc.command)
			raw, err := json.Marshal(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			status, _, body := s.send(t, s, http.MethodPost, tc.path, raw)
			p := readProblem(t, status, body)
			if status != http.StatusUnprocessableEntity || len(p.Errors) != 1 || p.Errors[0].Field != tc.field {
				t.Fatalf("%d bytes: %d %.500s; want 422 naming %s alone", len(raw), status, body, tc.field)
			}
			if after := commandsHandled(t, s, tc.command); after != before {
				t.Errorf("an entity handled %s: hive_commands_total %v -> %v", tc.command, before, after)
			}
		})
	}
}

// problem is an error body as the test reads it.
type problem struct {
	Status int                   `json:"status"`
	Detail string                `json:"detail"`
	Errors []decision.FieldError `json:"errors"`
	// Omitted is how many errors the body leaves out.
	Omitted int `json:"errors_omitted"`
}

func readProblem(t *testing.T, status int, raw []byte) problem {
	t.Helper()
	var p problem
	if err := json.Unmarshal(raw, &p); err != nil || p.Status != status {
		t.Fatalf("%d: not a problem (%v): %.300s", status, err, raw)
	}
	return p
}

// commandsHandled is how many commands named command the entities handled,
// whatever the outcome, as /metrics counts them.
func commandsHandled(t *testing.T, s *sim, command string) float64 {
	t.Helper()
	status, _, raw := s.send(t, s, http.MethodGet, "/metrics", nil)
	if status != http.StatusOK {
		t.Fatalf("/metrics: %d", status)
	}
	var n float64
	for sc := bufio.NewScanner(bytes.NewReader(raw)); sc.Scan(); {
		line := sc.Text()
		if !strings.HasPrefix(line, "hive_commands_total{") || !strings.Contains(line, `command="`+command+`"`) {
			continue
		}
		v, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
		if err != nil {
			t.Fatalf("/metrics: %q: %v", line, err)
		}
		n += v
	}
	return n
}

// distinct is n strings: prefix followed by 0 to n-1.
func distinct(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = prefix + strconv.Itoa(i)
	}
	return out
}

// labels is n labels.
func labels(n int) map[string]string {
	out := make(map[string]string, n)
	for i := range n {
		out[fmt.Sprintf("k%d", i)] = "v"
	}
	return out
}

// stepChain is n steps s0..s(n-1), each depending on the one before.
func stepChain(n int) []map[string]any {
	steps := make([]map[string]any, n)
	for i := range steps {
		steps[i] = map[string]any{"id": "s" + strconv.Itoa(i)}
		if i > 0 {
			steps[i]["depends_on"] = []string{"s" + strconv.Itoa(i-1)}
		}
	}
	return steps
}

// TestLargeBadRequestsGetSmallAnswers sends a run of as many steps as a
// run may have, each wrong in several ways, and a definition with a long
// wrong step id, and wants answers of at most 100 field errors
// (errors_omitted counts the rest) that repeat no long value.
func TestLargeBadRequestsGetSmallAnswers(t *testing.T) {
	s := startInProcess(t, time.Minute)
	sw := createSwarm(t, s, map[string]any{"name": "errors", "topology": "mesh"})
	bad := make([]map[string]any, decision.MaxSteps)
	for i := range bad {
		bad[i] = map[string]any{"id": strings.Repeat("!", 600), "capability": "a b", "priority": 99, "depends_on": []string{"x", "x"}}
	}
	tests := []struct {
		name, path string
		body       any
		errors     int
	}{
		{"a run wrong everywhere", "/v1/workflows", map[string]any{"name": "bad", "swarm_id": sw, "steps": bad}, 100},
		{"a long step id", "/v1/workflow-definitions", map[string]any{"name": "bad", "steps": []any{map[string]any{"id": strings.Repeat("i", 900_000)}}}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := json.Marshal(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			status, _, body := s.send(t, s, http.MethodPost, tc.path, raw)
			p := readProblem(t, status, body)
			if status != http.StatusUnprocessableEntity || len(p.Errors) != tc.errors || (tc.errors == 100) != (p.Omitted > 0) {
				t.Errorf("%d errors, %d omitted; want %d", len(p.Errors), p.Omitted, tc.errors)
			}
			if len(body) > 32<<10 {
				t.Errorf("a %d-byte request answered %d bytes: %.300s", len(raw), len(body), body)
			}
		})
	}
}

// TestInvalidTextIsRefusedAtTheEdge sends bytes that are not UTF-8, and
// unpaired surrogate escapes, in JSON bodies (in decoded fields and in the
// raw JSON values that events carry), in query and path parameters and in
// headers, and wants a 400 naming where, and nothing appended; the log
// stays valid JSON.
func TestInvalidTextIsRefusedAtTheEdge(t *testing.T) {
	s := startInProcess(t, time.Minute)
	sw := createSwarm(t, s, map[string]any{"name": "text", "topology": "mesh"})
	agentID := registerAgent(t, s, "text-agent", "code")
	s.must(t, http.MethodPost, "/v1/swarms/"+sw+"/members", map[string]any{"agent_id": agentID}, nil)
	var run struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "text", "swarm_id": sw,
		"steps": []any{map[string]any{"id": "gate", "approval": true}}}, &run)
	task := sw + ".1"
	tests := []struct {
		name, method, path, body string
		headers                  map[string]string
		field                    string
	}{
		{name: "a task's input", method: "POST", path: "/v1/swarms/" + sw + "/tasks", body: "{\"input\":{\"n\":\"\xff\"}}", field: "input.n"},
		{name: "a task's output", method: "POST", path: "/v1/tasks/" + task + "/complete", body: `{"agent_id":"` + agentID + "\",\"output\":{\"a\":[\"ok\",\"\xc0\xaf\"]}}", field: "output.a[1]"},
		{name: "an unpaired surrogate in an output", method: "POST", path: "/v1/tasks/" + task + "/complete", body: `{"agent_id":"` + agentID + `","output":"\ud800"}`, field: "output"},
		{name: "a step's input", method: "POST", path: "/v1/workflows", body: `{"swarm_id":"` + sw + "\",\"steps\":[{\"id\":\"a\",\"input\":{\"x\":\"\xfe\"}}]}", field: "steps[0].input.x"},
		{name: "a proposal's option", method: "POST", path: "/v1/swarms/" + sw + "/proposals", body: "{\"question\":\"q\",\"options\":[\"a\",\"b\xff\"],\"rule\":\"majority\",\"voting_period\":\"1h\"}", field: "options[1]"},
		{name: "a failure's reason", method: "POST", path: "/v1/tasks/" + task + "/fail", body: `{"agent_id":"` + agentID + "\",\"reason\":\"\xff\"}", field: "reason"},
		{name: "a reason in the query", method: "DELETE", path: "/v1/swarms/" + sw + "/members/" + agentID + "?reason=%FF", field: "reason"},
		{name: "a step id in the path", method: "POST", path: "/v1/workflows/" + run.ID + "/steps/%FF/approve", field: "step"},
		{name: "a filter", method: "GET", path: "/v1/agents?label=k%3D%C3", field: "label"},
		{name: "a correlation id", method: "POST", path: "/v1/agents/" + agentID + "/drain", headers: map[string]string{"Hive-Correlation-Id": "\xff"}, field: "Hive-Correlation-Id"},
		{name: "an idempotency key", method: "POST", path: "/v1/agents/" + agentID + "/drain", headers: map[string]string{"Idempotency-Key": "k\xff"}, field: "Idempotency-Key"},
	}
	before := s.headPosition(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := s.do(t, tc.method, tc.path, tc.body, tc.headers)
			errs, _ := body["errors"].([]any)
			if status != http.StatusBadRequest || len(errs) != 1 || errs[0].(map[string]any)["field"] != tc.field {
				t.Fatalf("%d %v; want 400 naming %s", status, body, tc.field)
			}
		})
	}
	if after := s.headPosition(t); after != before {
		t.Errorf("refused requests appended events: head %d -> %d", before, after)
	}
	// Text that is valid, escaped or not, is kept as sent.
	var queued struct {
		TaskID string `json:"task_id"`
	}
	s.must(t, http.MethodPost, "/v1/swarms/"+sw+"/tasks", json.RawMessage(`{"input":{"n":"é \ud83d\ude00"}}`), &queued)
	status, _, raw := s.send(t, s, http.MethodGet, "/v1/tasks/"+queued.TaskID, nil)
	var got struct {
		Input struct {
			N string `json:"n"`
		} `json:"input"`
	}
	if err := json.Unmarshal(raw, &got); status != http.StatusOK || err != nil || got.Input.N != "é 😀" {
		t.Fatalf("the task read back: %d %v: %s", status, err, raw)
	}
	if status, _, raw := s.send(t, s, http.MethodGet, "/v1/events?limit=1000", nil); status != http.StatusOK || !utf8.Valid(raw) || !json.Valid(raw) {
		t.Fatalf("the log read back: %d, valid UTF-8 %v, valid JSON %v", status, utf8.Valid(raw), json.Valid(raw))
	}
}

// headPosition is the position of the log's newest event.
func (s *sim) headPosition(t *testing.T) uint64 {
	t.Helper()
	var page struct {
		Head uint64 `json:"head"`
	}
	s.must(t, http.MethodGet, "/v1/events?limit=1", nil, &page)
	return page.Head
}
