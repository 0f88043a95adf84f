package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/timers"
	"hive/actors/token"
	"hive/events"
	"hive/events/pebblestore"
	"hive/http/api"
	"hive/projections"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(m.Run())
}

// stack is Hive's real server stack on the embedded store in dir, served on
// a loopback port.
type stack struct {
	url   string
	store events.Store
	stop  func()
	// admin is the admin token of do, post and get.
	admin string
	// mint creates a token with role (for agent) and returns it.
	mint func(role token.Role, agent string) string
}

func startStack(tb testing.TB, dir string) *stack {
	tb.Helper()
	return startStackWith(tb, dir, api.Config{})
}

// startStackWith starts the stack with the API configured by cfg, and the
// timer watcher checking every 10 ms.
func startStackWith(tb testing.TB, dir string, cfg api.Config) *stack {
	tb.Helper()
	return startStackOver(tb, dir, cfg, stackOptions{})
}

// stackOptions change what startStackOver builds.
type stackOptions struct {
	// wrap, if set, wraps the store that the stack uses.
	wrap func(events.Store) events.Store
	// logger, if set, is the stack's logger (default: discarded).
	logger *slog.Logger
}

// startStackOver starts the stack as startStackWith does, changed by o.
func startStackOver(tb testing.TB, dir string, cfg api.Config, o stackOptions) *stack {
	tb.Helper()
	logger := o.logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	reg := prometheus.NewRegistry()
	raw, err := pebblestore.Open(pebblestore.Config{Dir: dir})
	if err != nil {
		tb.Fatal(err)
	}
	store, err := events.WithMetrics(raw, reg)
	if err != nil {
		tb.Fatal(err)
	}
	if o.wrap != nil {
		store = o.wrap(store)
	}
	agents := projections.NewAgents()
	deadlines := timers.NewIndex(timers.Kind{Name: agent.Kind, Deadlines: agent.Deadlines, Wake: func(now time.Time) actors.Body { return agent.CheckLiveness{Now: now} }})
	assignments := projections.NewAssignments()
	tokens := projections.NewTokens()
	runner, err := projections.NewRunner(store, logger, reg, agents, tokens, assignments, deadlines)
	if err != nil {
		tb.Fatal(err)
	}
	kinds := []actors.Kind{{Name: agent.Kind, New: func() actors.Entity { return &agent.State{} }}, {Name: token.Kind, New: func() actors.Entity { return &token.State{} }}}
	system, err := actors.New(actors.Config{}, store, kinds, logger, reg)
	if err != nil {
		tb.Fatal(err)
	}
	handler, err := api.New(cfg, api.Deps{Commands: system, ReadSide: runner, Agents: agents, Assignments: assignments, Gatherer: reg, Logger: logger, Tokens: tokens, Log: store})
	if err != nil {
		tb.Fatal(err)
	}
	watcher, err := timers.NewWatcher(timers.Config{Interval: 10 * time.Millisecond}, deadlines, system, logger)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := runner.Run(ctx); err != nil {
			tb.Errorf("projections: %v", err)
		}
	}()
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		if err := watcher.Run(ctx); err != nil {
			tb.Errorf("timers: %v", err)
		}
	}()
	srv := httptest.NewServer(handler)
	s := &stack{url: srv.URL, store: store}
	s.mint = func(role token.Role, agentID string) string {
		tb.Helper()
		m, err := token.Mint()
		if err != nil {
			tb.Fatal(err)
		}
		res, err := system.Ask(ctx, actors.Ref{Kind: token.Kind, ID: m.ID}, actors.Command{ID: m.ID, Principal: "test",
			Body: token.Create{TokenID: m.ID, Role: role, AgentID: agentID, SecretHash: m.Hash, At: time.Now()}})
		if err != nil {
			tb.Fatal(err)
		}
		if err := runner.WaitFor(ctx, res.LastPosition); err != nil {
			tb.Fatal(err)
		}
		return m.Bearer
	}
	s.admin = s.mint(token.RoleAdmin, "")
	stopped := false
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		srv.Close()
		cancel()
		<-done
		<-watching
		system.Shutdown()
		if err := raw.Close(); err != nil {
			tb.Errorf("close store: %v", err)
		}
	}
	tb.Cleanup(s.stop)
	return s
}

// response is a decoded HTTP response.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (s *stack) do(tb testing.TB, method, path, contentType string, body []byte) response {
	tb.Helper()
	return s.doAs(tb, s.admin, method, path, contentType, body)
}

// doAs sends a request with bearer as its token (none if empty).
func (s *stack) doAs(tb testing.TB, bearer, method, path, contentType string, body []byte) response {
	tb.Helper()
	req, err := http.NewRequest(method, s.url+path, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		tb.Fatal(err)
	}
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			tb.Fatalf("%s %s: body is not JSON: %v: %s", method, path, err, raw)
		}
	}
	return r
}

func (s *stack) post(tb testing.TB, path string, body any) response {
	tb.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		tb.Fatal(err)
	}
	return s.do(tb, http.MethodPost, path, "application/json", b)
}

func (s *stack) get(tb testing.TB, path string) response {
	tb.Helper()
	return s.do(tb, http.MethodGet, path, "", nil)
}

func (s *stack) head(tb testing.TB) uint64 {
	tb.Helper()
	h, err := s.store.Head(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return h
}

// eventually polls cond until it holds or 5 s pass.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
