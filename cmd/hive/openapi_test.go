package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// docURL is where the schema compiler finds the OpenAPI document.
const docURL = "https://hive.invalid/openapi.json"

// docOperation is an operation of the OpenAPI document, as the test reads it.
type docOperation struct {
	method, path string
	ID           string `json:"operationId"`
	Parameters   []struct {
		Name    string `json:"name"`
		In      string `json:"in"`
		Example string `json:"example"`
	} `json:"parameters"`
	RequestBody *struct {
		Content map[string]struct {
			Example json.RawMessage `json:"example"`
		} `json:"content"`
	} `json:"requestBody"`
	Responses map[string]struct {
		Content map[string]struct {
			Schema struct {
				Ref string `json:"$ref"`
			} `json:"schema"`
		} `json:"content"`
	} `json:"responses"`
}

// exampleOrder is the order in which the examples of commands are sent, so
// that each finds its entity in a state that accepts it: the operations
// that end an entity come last. Reads come first.
var exampleOrder = []string{
	"registerAgent", "createSwarm", "saveWorkflowDefinition", "heartbeat", "joinSwarm", "submitTask", "setSwarmBudget",
	"propose", "vote", "updateSwarm", "reportProgress", "completeTask", "failTask", "startWorkflow", "setWorkflowBudget", "pauseWorkflow",
	"resumeWorkflow", "approveStep", "rejectStep", "retryStep", "cancelWorkflow", "createToken", "drainAgent", "leaveSwarm",
	"dissolveSwarm", "deregisterAgent", "revokeToken",
}

// TestOpenAPIExamplesAgainstTheServer sends every operation's example
// request, with the ids of entities made for it, to the assembled server,
// and checks that the status it answers is documented and that the body
// matches the schema documented for that status.
func TestOpenAPIExamplesAgainstTheServer(t *testing.T) {
	s := startInProcess(t, time.Minute)
	status, header, raw := s.send(t, s.as(""), http.MethodGet, "/openapi.json", nil)
	if status != http.StatusOK || !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		t.Fatalf("GET /openapi.json without a token: %d %s", status, header.Get("Content-Type"))
	}
	if base := documentServer(t, raw, *s.url.Load()+"/openapi.json"); base != *s.url.Load() {
		t.Fatalf("the document's server, resolved against where it was read, is %q, not the server that serves it, %q", base, *s.url.Load())
	}
	ops, compiler := readDocument(t, raw)
	subst := exampleIDs(t, ops, openAPIFixtures(t, s))
	for _, op := range ops {
		path, body := examplePath(op), []byte(nil)
		if op.RequestBody != nil {
			body = op.RequestBody.Content["application/json"].Example
		}
		for _, from := range subst.keys {
			path = strings.ReplaceAll(path, from, subst.to[from])
			body = bytes.ReplaceAll(body, []byte(from), []byte(subst.to[from]))
		}
		if op.ID == "live" {
			path += "?topics=agents,feed"
		}
		if strings.HasSuffix(op.path, "/stream") || op.ID == "live" {
			checkStream(t, s, path)
			continue
		}
		status, header, raw := s.send(t, s, op.method, path, body)
		if status >= 300 && !slices.Contains(refusedExamples, op.ID) {
			t.Errorf("%s %s: %d %s; want a success", op.method, path, status, raw)
		}
		checkResponse(t, compiler, op, status, header.Get("Content-Type"), raw)
	}
}

// refusedExamples are the operations whose example, sent after the one
// before it in exampleOrder, is refused: the task was completed, the step
// approved, the swarm has a run (and the example does not force). Their
// problem is checked against the document all the same.
var refusedExamples = []string{"failTask", "rejectStep", "retryStep", "dissolveSwarm"}

// send sends body (if any) as c and returns the status, headers and body.
func (s *sim) send(t *testing.T, c *sim, method, path string, body []byte) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, *s.url.Load()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	c.authorize(req)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, raw
}

// readDocument returns the document's operations, reads first and then
// the commands in exampleOrder, and a compiler of its schemas.
// documentServer returns the URL the first of the document's servers
// names, resolved against docURL, where the document was read, without a
// trailing slash: the URL an operation's path is appended to.
func documentServer(t *testing.T, raw []byte, docURL string) string {
	t.Helper()
	var doc struct {
		Servers []struct {
			URL string `json:"url"`
		} `json:"servers"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Servers) == 0 {
		t.Fatal("the document has no servers")
	}
	base, err := url.Parse(docURL)
	if err != nil {
		t.Fatal(err)
	}
	server, err := url.Parse(doc.Servers[0].URL)
	if err != nil {
		t.Fatalf("server url %q: %v", doc.Servers[0].URL, err)
	}
	return strings.TrimSuffix(base.ResolveReference(server).String(), "/")
}

func readDocument(t *testing.T, raw []byte) ([]docOperation, *jsonschema.Compiler) {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]docOperation `json:"paths"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var ops []docOperation
	for path, item := range doc.Paths {
		for method, op := range item {
			op.method, op.path = strings.ToUpper(method), path
			ops = append(ops, op)
		}
	}
	rank := func(op docOperation) int {
		if op.method == http.MethodGet {
			return -1
		}
		i := slices.Index(exampleOrder, op.ID)
		if i < 0 {
			t.Fatalf("%s is not in exampleOrder", op.ID)
		}
		return i
	}
	slices.SortFunc(ops, func(a, b docOperation) int { return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a.ID, b.ID)) })
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, v); err != nil {
		t.Fatal(err)
	}
	return ops, c
}

// openAPIFixtures makes the entities the examples act on and returns their
// ids by the collection that names them in paths.
func openAPIFixtures(t *testing.T, s *sim) map[string]string {
	t.Helper()
	agentID := registerAgent(t, s, "fixture-agent", "code", "plan")
	swarmID := createSwarm(t, s, map[string]any{"name": "fixture-swarm", "topology": "mesh"})
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/members", map[string]any{"agent_id": agentID}, nil)
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/tasks", map[string]any{"capability": "code", "max_attempts": 3}, nil)
	tasks := tasksInFlight(t, s, agentID, 1)
	if len(tasks) != 1 {
		t.Fatalf("the fixture agent has tasks %+v, want one", tasks)
	}
	var run, def struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/workflows", map[string]any{"name": "fixture-run", "swarm_id": swarmID,
		"steps": []any{map[string]any{"id": "ship", "capability": "code", "approval": true}}}, &run)
	s.must(t, http.MethodPost, "/v1/workflow-definitions", map[string]any{"name": "fixture-def", "steps": []any{map[string]any{"id": "a"}}}, &def)
	var proposal struct {
		Proposals []struct {
			ID string `json:"id"`
		} `json:"proposals"`
	}
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/proposals", map[string]any{"question": "q", "options": []string{"yes", "no"},
		"rule": "majority", "voting_period": "1h"}, &proposal)
	var token struct {
		ID string `json:"id"`
	}
	s.must(t, http.MethodPost, "/v1/tokens", map[string]any{"role": "viewer", "name": "fixture"}, &token)
	return map[string]string{
		"agents": agentID, "members": agentID, "swarms": swarmID, "proposals": proposal.Proposals[0].ID,
		"workflows": run.ID, "runs": run.ID, "steps": "ship", "workflow-definitions": def.ID, "tasks": tasks[0].ID,
		"tokens": token.ID, "streams": "agent-" + agentID, "ui": "app.js",
	}
}

// substitution replaces the ids of examples with those of fixtures,
// longest first (a task's id contains its swarm's).
type substitution struct {
	keys []string
	to   map[string]string
}

// exampleIDs maps the example of each path parameter to the fixture of the
// collection it follows.
func exampleIDs(t *testing.T, ops []docOperation, fixtures map[string]string) substitution {
	t.Helper()
	sub := substitution{to: map[string]string{}}
	for _, op := range ops {
		segments := strings.Split(op.path, "/")
		for i, seg := range segments {
			name, ok := strings.CutPrefix(seg, "{")
			if !ok {
				continue
			}
			name = strings.TrimSuffix(name, "}")
			for _, p := range op.Parameters {
				if p.In != "path" || p.Name != name {
					continue
				}
				fixture, ok := fixtures[segments[i-1]]
				if p.Example == "" || !ok {
					t.Fatalf("%s: path parameter %s has no example, or no fixture", op.ID, name)
				}
				sub.to[p.Example] = fixture
			}
		}
	}
	for k := range sub.to {
		sub.keys = append(sub.keys, k)
	}
	sort.Slice(sub.keys, func(i, j int) bool { return len(sub.keys[i]) > len(sub.keys[j]) })
	return sub
}

// examplePath is op's path with the examples of its parameters.
func examplePath(op docOperation) string {
	path := op.path
	for _, p := range op.Parameters {
		if p.In == "path" {
			path = strings.ReplaceAll(path, "{"+p.Name+"}", p.Example)
		}
	}
	return path
}

// checkResponse checks that status is documented for op, with a body of
// the documented media type that matches the documented schema.
func checkResponse(t *testing.T, c *jsonschema.Compiler, op docOperation, status int, contentType string, raw []byte) {
	t.Helper()
	res, ok := op.Responses[strconv.Itoa(status)]
	if !ok {
		t.Errorf("%s: status %d is not documented: %s", op.ID, status, raw)
		return
	}
	mediaType, _, _ := strings.Cut(contentType, ";")
	media, ok := res.Content[mediaType]
	if !ok {
		t.Errorf("%s: %d answered %s, documented %v", op.ID, status, mediaType, res.Content)
		return
	}
	if !strings.Contains(mediaType, "json") {
		return
	}
	var body any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Errorf("%s: %d: %v", op.ID, status, err)
		return
	}
	if media.Schema.Ref == "" {
		return
	}
	sch, err := c.Compile(docURL + media.Schema.Ref)
	if err != nil {
		t.Fatalf("%s: %v", op.ID, err)
	}
	if err := sch.Validate(body); err != nil {
		t.Errorf("%s: the %d answer does not match %s: %v\n%s", op.ID, status, media.Schema.Ref, err, raw)
	}
}

// checkStream checks that the stream answers 200 as text/event-stream.
func checkStream(t *testing.T, s *sim, path string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *s.url.Load()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.authorize(req)
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Errorf("GET %s: %d %s, want a stream", path, resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
