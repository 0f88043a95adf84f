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
