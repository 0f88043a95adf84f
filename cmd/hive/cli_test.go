package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// cli runs the client commands against one in-process Hive.
type cli struct {
	t             *testing.T
	server, token string
}

func newCLI(t *testing.T) *cli {
	s := startInProcess(t, time.Minute)
	return &cli{t: t, server: *s.url.Load(), token: s.token}
}

// run runs hive with args and returns what it printed; it fails the test
// if the command fails.
func (c *cli) run(args ...string) string {
	c.t.Helper()
	out, err := c.try(args...)
	if err != nil {
		c.t.Fatalf("hive %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// try runs hive with args and returns what it printed and its error.
func (c *cli) try(args ...string) (string, error) {
	var out bytes.Buffer
	root := newRootCommand()
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	args = append(args, "--server", c.server)
	if !slices.Contains(args, "--token") {
		args = append(args, "--token", c.token)
	}
	root.SetArgs(args)
	err := root.ExecuteContext(c.t.Context())
	return out.String(), err
}

// json runs hive with args and -o json and decodes what it printed.
func (c *cli) json(out any, args ...string) {
	c.t.Helper()
	raw := c.run(append(args, "-o", "json")...)
	if err := json.Unmarshal([]byte(raw), out); err != nil {
		c.t.Fatalf("hive %s -o json: %v: %s", strings.Join(args, " "), err, raw)
	}
}

type cliStep struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	AgentID string `json:"agent_id"`
	TaskID  string `json:"task_id"`
}

type cliRun struct {
	ID     string    `json:"id"`
	Status string    `json:"status"`
	Steps  []cliStep `json:"steps"`
}

// step waits until the run's step is in status, and returns it.
func (c *cli) step(runID, stepID, status string) cliStep {
	c.t.Helper()
	var run cliRun
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c.json(&run, "workflows", "get", runID)
		for _, s := range run.Steps {
			if s.ID == stepID && s.Status == status {
				return s
			}
		}
	}
	c.t.Fatalf("step %s of run %s never %s: %+v", stepID, runID, status, run.Steps)
	return cliStep{}
}

func contains(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("%s does not show %q:\n%s", what, w, out)
		}
	}
}

func TestCLIRunsAWorkflowThroughAnApprovalGate(t *testing.T) {
	c := newCLI(t)
	var coder, reviewer struct{ ID, Name, Status string }
	c.json(&coder, "agents", "register", "--name", "coder-1", "--capability", "code", "--label", "team=core", "--max-concurrency", "2")
	c.json(&reviewer, "agents", "register", "--name", "reviewer-1", "--capability", "review")
	if coder.ID == "" || coder.Status != "idle" {
		t.Fatalf("registered %+v", coder)
	}
	var swarm struct{ ID string }
	c.json(&swarm, "swarms", "create", "--name", "crew", "--topology", "mesh", "--weight", "load=2,success=1", "--budget-tokens", "100000")
	c.run("swarms", "join", swarm.ID, coder.ID)
	contains(t, "swarms join", c.run("swarms", "join", swarm.ID, reviewer.ID), "MEMBER", coder.ID, reviewer.ID, "crew", "mesh")

	var agents []struct{ ID, Name string }
	c.json(&agents, "agents", "list", "--limit", "1", "--all", "--swarm", swarm.ID)
	if len(agents) != 2 {
		t.Fatalf("agents list --limit 1 --all = %+v, want both", agents)
	}
	table := c.run("agents", "list", "--capability", "code")
	contains(t, "agents list", table, "NAME", "coder-1", "team=core")
	if strings.Contains(table, "reviewer-1") {
		t.Errorf("agents list --capability code shows the reviewer:\n%s", table)
	}

	def := filepath.Join(t.TempDir(), "release.json")
	writeFile(t, def, `{"name": "release", "description": "build and ship", "steps": [
		{"id": "build", "capability": "code", "input": {"target": "linux"}},
		{"id": "ship", "capability": "review", "depends_on": ["build"], "approval": true}]}`)
	contains(t, "definitions save", c.run("definitions", "save", "--file", def), "release", "build and ship")
	contains(t, "definitions list", c.run("definitions", "list"), "VERSION", "release")

	var run cliRun
	c.json(&run, "workflows", "start", "--swarm", swarm.ID, "--definition", "release", "--correlation-id", "release-42")
	contains(t, "workflows list", c.run("workflows", "list", "--swarm", swarm.ID), run.ID, "release v1", "running")
	var runs []struct{ ID string }
	c.json(&runs, "workflows", "list", "--status", "running")
	if len(runs) != 1 || runs[0].ID != run.ID {
		t.Fatalf("workflows list -o json = %+v", runs)
	}

	build := c.step(run.ID, "build", "assigned")
	if build.AgentID != coder.ID {
		t.Fatalf("build went to %s, want the coder", build.AgentID)
	}
	contains(t, "tasks get", c.run("tasks", "get", build.TaskID), build.TaskID, "assigned", "code", coder.ID)
	contains(t, "tasks complete", c.run("tasks", "complete", build.TaskID, "--agent", coder.ID, "--result", `{"artifact": "hive.tar"}`), "completed", build.TaskID)

	c.step(run.ID, "ship", "awaiting_approval")
	contains(t, "workflows approve", c.run("workflows", "approve", run.ID, "ship", "--comment", "go"), "STEP", "ship")
	ship := c.step(run.ID, "ship", "assigned")
	c.run("tasks", "complete", ship.TaskID, "--agent", reviewer.ID)
	c.step(run.ID, "ship", "completed")

	table = c.run("workflows", "get", run.ID)
	contains(t, "workflows get", table, "completed", "2/2", "ATTEMPT", "build", "ship", coder.ID, reviewer.ID)

	var evs []struct {
		Stream        string `json:"stream"`
		Type          string `json:"type"`
		CorrelationID string `json:"correlation_id"`
	}
	c.json(&evs, "events", "list", "--correlation-id", "release-42", "--all", "--limit", "5")
	streams := map[string]bool{}
	for _, e := range evs {
		if e.CorrelationID != "release-42" {
			t.Errorf("events list --correlation-id shows %+v", e)
		}
		streams[strings.SplitN(e.Stream, "-", 2)[0]] = true
	}
	if !streams["workflow"] || !streams["swarm"] {
		t.Errorf("the correlation's events touch streams %v, want the run's and the swarm's", streams)
	}
	contains(t, "events list", c.run("events", "list", "--correlation-id", "release-42"), "POSITION", "PRINCIPAL", "workflow-"+run.ID)
	contains(t, "events read", c.run("events", "read", "agent-"+coder.ID), "POSITION", "agent-"+coder.ID, "token:")
}

func TestCLIAgentLifecycleAndIdempotency(t *testing.T) {
	c := newCLI(t)
	var a struct{ ID string }
	c.json(&a, "agents", "register", "--name", "w-1", "--capability", "code")
	contains(t, "agents get", c.run("agents", "get", a.ID), "w-1", "idle")
	contains(t, "agents drain", c.run("agents", "drain", a.ID, "--reason", "upgrade"), "draining")
	contains(t, "agents deregister", c.run("agents", "deregister", a.ID, "--reason", "retired"), "gone")

	// The same key sends the command once: the second answer is the first's.
	first := c.run("swarms", "create", "--name", "once", "--topology", "ring", "--idempotency-key", "k-1", "-o", "json")
	if again := c.run("swarms", "create", "--name", "once", "--topology", "ring", "--idempotency-key", "k-1", "-o", "json"); again != first {
		t.Errorf("the same key answered\n%s\nthen\n%s", first, again)
	}
	if _, err := c.try("swarms", "create", "--name", "once", "--topology", "ring"); err == nil || !strings.Contains(err.Error(), "409") {
		t.Errorf("a new key for a taken name: %v, want 409", err)
	}
}

func TestCLIProblems(t *testing.T) {
	c := newCLI(t)
	cyclic := filepath.Join(t.TempDir(), "cyclic.json")
	writeFile(t, cyclic, `[{"id": "a", "depends_on": ["b"]}, {"id": "b", "depends_on": ["a"]}]`)
	var swarm struct{ ID string }
	c.json(&swarm, "swarms", "create", "--name", "s", "--topology", "mesh")
	var viewer struct{ Token string }
	c.json(&viewer, "token", "create", "--role", "viewer")
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "invalid field", args: []string{"swarms", "create", "--name", "x", "--topology", "blob"}, want: []string{"422 Unprocessable Entity", "topology"}},
		{name: "invalid definition", args: []string{"workflows", "start", "--swarm", swarm.ID, "--file", cyclic}, want: []string{"422", "steps[1].depends_on[0]", "cycle"}},
		{name: "unknown agent", args: []string{"agents", "get", "00000000-0000-0000-0000-000000000000"}, want: []string{"404 Not Found", "no agent"}},
		{name: "unknown run", args: []string{"workflows", "pause", "00000000-0000-0000-0000-000000000000"}, want: []string{"404"}},
		{name: "bad weight", args: []string{"swarms", "create", "--name", "x", "--topology", "mesh", "--weight", "luck=1"}, want: []string{"--weight", "luck"}},
		{name: "bad input", args: []string{"swarms", "submit", "s", "--capability", "code", "--input", "{oops"}, want: []string{"--input", "not JSON"}},
		{name: "bad output", args: []string{"agents", "list", "-o", "yaml"}, want: []string{"--output"}},
		{name: "role", args: []string{"agents", "drain", "00000000-0000-0000-0000-000000000000", "--token", viewer.Token},
			want: []string{"403 Forbidden", "operator", "viewer"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := c.try(tc.args...)
			if err == nil {
				t.Fatalf("hive %s succeeded: %s", strings.Join(tc.args, " "), out)
			}
			if msg := err.Error(); strings.Contains(msg, "\n") {
				t.Errorf("error over more than one line: %q", msg)
			}
			contains(t, "the error", err.Error(), tc.want...)
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
