package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hive/http/api"
)

// lockedBuffer is a log destination safe for the server's goroutines.
type lockedBuffer struct {
	mu  chan struct{}
	buf bytes.Buffer
}

func newLockedBuffer() *lockedBuffer { return &lockedBuffer{mu: make(chan struct{}, 1)} }

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu <- struct{}{}
	defer func() { <-b.mu }()
	return b.buf.String()
}

func TestAdminTokenIsWrittenOnTheFirstStartOnly(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, adminTokenFile)
	var first string
	t.Run("first start", func(t *testing.T) {
		logs := newLockedBuffer()
		s := startInProcessWith(t, settings{dataDir: dir, heartbeatTimeout: time.Minute}, slog.New(slog.NewTextHandler(logs, nil)))
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", path, info.Mode().Perm())
		}
		first = s.token
		if !strings.Contains(logs.String(), "admin token written") || !strings.Contains(logs.String(), path) || strings.Contains(logs.String(), s.token) {
			t.Errorf("logs should say where the token is, never the token:\n%s", logs)
		}
		s.must(t, http.MethodGet, "/v1/tokens", nil, nil)
	})
	t.Run("second start", func(t *testing.T) {
		logs := newLockedBuffer()
		s := startInProcessWith(t, settings{dataDir: dir, heartbeatTimeout: time.Minute}, slog.New(slog.NewTextHandler(logs, nil)))
		if s.token != first || strings.Contains(logs.String(), "admin token written") {
			t.Fatalf("the admin token was written again:\n%s", logs)
		}
		var list struct {
			Tokens []struct {
				Role string `json:"role"`
			} `json:"tokens"`
		}
		s.must(t, http.MethodGet, "/v1/tokens", nil, &list)
		if len(list.Tokens) != 1 || list.Tokens[0].Role != "admin" {
			t.Fatalf("tokens after a restart = %+v, want the one admin token", list.Tokens)
		}
	})
}

// as returns a client of the same server with another token.
func (s *sim) as(bearer string) *sim {
	c := &sim{client: s.client, token: bearer}
	c.url.Store(s.url.Load())
	return c
}

// newToken creates a token through the API and returns it.
func newToken(t *testing.T, s *sim, body map[string]any) string {
	t.Helper()
	var created struct {
		Token string `json:"token"`
	}
	s.must(t, http.MethodPost, "/v1/tokens", body, &created)
	return created.Token
}

func TestAgentTokensActOnlyAsTheirAgent(t *testing.T) {
	s := startInProcess(t, time.Minute)
	id := createSwarm(t, s, map[string]any{"name": "pair", "topology": "mesh"})
	a, b := registerAgent(t, s, "a", "code"), registerAgent(t, s, "b", "review")
	for _, ag := range []string{a, b} {
		s.must(t, http.MethodPost, "/v1/swarms/"+id+"/members", map[string]any{"agent_id": ag}, nil)
	}
	asA := s.as(newToken(t, s, map[string]any{"role": "agent", "agent_id": a}))
	asB := s.as(newToken(t, s, map[string]any{"role": "agent", "agent_id": b}))
	operator := s.as(newToken(t, s, map[string]any{"role": "operator"}))
	viewer := s.as(newToken(t, s, map[string]any{"role": "viewer"}))

	viewer.problem(t, http.MethodPost, "/v1/swarms/"+id+"/tasks", map[string]any{"capability": "code"}, http.StatusForbidden, "")
	asA.problem(t, http.MethodPost, "/v1/swarms/"+id+"/tasks", map[string]any{"capability": "code"}, http.StatusForbidden, "")
	operator.must(t, http.MethodPost, "/v1/swarms/"+id+"/tasks", map[string]any{"capability": "code"}, nil)
	tasks := tasksInFlight(t, asA, a, 1)
	if len(tasks) != 1 {
		t.Fatalf("a's tasks = %+v", tasks)
	}
	task := "/v1/tasks/" + tasks[0].ID
	asB.problem(t, http.MethodGet, "/v1/agents/"+a+"/tasks", nil, http.StatusForbidden, "")
	asB.problem(t, http.MethodPost, task+"/complete", map[string]any{"agent_id": a, "output": 1}, http.StatusForbidden, "")
	asB.problem(t, http.MethodPost, task+"/fail", map[string]any{"agent_id": a, "reason": "sabotage"}, http.StatusForbidden, "")
	asB.problem(t, http.MethodPost, task+"/complete", map[string]any{"output": 1}, http.StatusForbidden, "")
	asB.problem(t, http.MethodPost, "/v1/agents/"+a+"/heartbeat", nil, http.StatusForbidden, "")
	asB.problem(t, http.MethodPost, task+"/complete", map[string]any{"agent_id": b, "output": 1}, http.StatusConflict, "") // not b's task
	operator.problem(t, http.MethodPost, task+"/complete", map[string]any{"agent_id": a, "output": 1}, http.StatusForbidden, "")
	operator.problem(t, http.MethodPost, "/v1/tokens", map[string]any{"role": "viewer"}, http.StatusForbidden, "")
	asA.must(t, http.MethodPost, "/v1/agents/"+a+"/heartbeat", nil, nil)
	asA.must(t, http.MethodPost, task+"/complete", map[string]any{"agent_id": a, "output": map[string]any{"ok": true}}, nil)
}

func TestCreatingATokenRefusesAnIdempotencyKey(t *testing.T) {
	s := startInProcess(t, time.Minute)
	status, _, body := s.do(t, http.MethodPost, "/v1/tokens", `{"role":"viewer"}`, map[string]string{"Idempotency-Key": "k1"})
	if status != http.StatusBadRequest {
		t.Fatalf("keyed create = %d %v, want 400: a recorded response would keep the secret in the log", status, body)
	}
}

func TestMetricsAuth(t *testing.T) {
	for _, guarded := range []bool{false, true} {
		s := startInProcessWith(t, settings{dataDir: t.TempDir(), auth: apiAuth(guarded)}, slog.New(slog.DiscardHandler))
		want := http.StatusOK
		if guarded {
			want = http.StatusUnauthorized
		}
		if code, _ := s.as("").call(http.MethodGet, "/metrics", nil, nil); code != want {
			t.Errorf("--metrics-auth=%v: /metrics without a token = %d, want %d", guarded, code, want)
		}
		if code, _ := s.as("").call(http.MethodGet, "/healthz", nil, nil); code != http.StatusOK {
			t.Errorf("--metrics-auth=%v: /healthz without a token = %d", guarded, code)
		}
		if code, err := s.call(http.MethodGet, "/metrics", nil, nil); code != http.StatusOK {
			t.Errorf("--metrics-auth=%v: /metrics with a token = %d %v", guarded, code, err)
		}
	}
}

// runCLI runs hive with args and returns what it printed.
func runCLI(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	root := newRootCommand()
	root.SetOut(&out)
	root.SetArgs(args)
	if err := root.ExecuteContext(t.Context()); err != nil {
		t.Fatalf("hive %s: %v", strings.Join(args, " "), err)
	}
	return out.String()
}

func TestTokenCommands(t *testing.T) {
	dir := t.TempDir()
	s := startInProcessWith(t, settings{dataDir: dir}, slog.New(slog.DiscardHandler))
	server := []string{"--server", *s.url.Load(), "--token", s.token}
	var created struct {
		ID, Token, Role string
	}
	out := runCLI(t, append([]string{"token", "create", "--role", "viewer", "--name", "dashboards", "-o", "json"}, server...)...)
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Role != "viewer" || !strings.HasPrefix(created.Token, "hive_") {
		t.Fatalf("create: %v: %s", err, out)
	}
	t.Setenv("HIVE_TOKEN", "")
	table := runCLI(t, "token", "list", "--server", *s.url.Load(), "--data-dir", dir) // the admin token file
	if !strings.Contains(table, "ROLE") || !strings.Contains(table, created.ID) || !strings.Contains(table, "dashboards") || strings.Contains(table, created.Token) {
		t.Fatalf("list:\n%s", table)
	}
	runCLI(t, append([]string{"token", "revoke", created.ID, "--reason", "test"}, server...)...)
	if code, _ := s.as(created.Token).call(http.MethodGet, "/v1/agents", nil, nil); code != http.StatusUnauthorized {
		t.Fatalf("a revoked token: %d", code)
	}
	root := newRootCommand()
	root.SetOut(&bytes.Buffer{})
	root.SetArgs(append([]string{"token", "list"}, "--server", *s.url.Load(), "--token", created.Token))
	if err := root.ExecuteContext(t.Context()); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("list with a revoked token: %v", err)
	}
}

func apiAuth(metrics bool) api.AuthConfig { return api.AuthConfig{Metrics: metrics} }
