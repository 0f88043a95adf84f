package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hive/projections"
)

// sseEvent is one server-sent event of GET /v1/live.
type sseEvent struct {
	id, name, data string
}

// openLive opens GET /v1/live on topics as s, resuming after lastID if it
// is not empty, and returns the response and its events; the stream is
// closed when the test ends.
func openLive(t *testing.T, s *sim, topics, lastID string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	return openStream(t, s, "/v1/live?topics="+topics, lastID)
}

// openStream opens the server-sent events at path as s, resuming after
// lastID if it is not empty, and returns the response and its events,
// closed when the stream ends; the stream is closed when the test ends.
func openStream(t *testing.T, s *sim, path, lastID string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *s.url.Load()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.authorize(req)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = resp.Body.Close() })
	out := make(chan sseEvent, 64)
	go func() {
		defer close(out)
		sc := bufio.NewScanner(resp.Body)
		var e sseEvent
		for sc.Scan() {
			field, value, _ := strings.Cut(sc.Text(), ": ")
			switch field {
			case "":
				if e.name != "" {
					select {
					case out <- e:
					case <-ctx.Done():
						return
					}
				}
				e = sseEvent{}
			case "id":
				e.id = value
			case "event":
				e.name = value
			case "data":
				e.data = value
			}
		}
	}()
	return resp, out
}

// nextLive returns the next event other than a comment, failing the test
// after 5 s.
func nextLive(t *testing.T, events <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case e, ok := <-events:
		if !ok {
			t.Fatal("the live stream ended")
		}
		return e
	case <-time.After(5 * time.Second):
		t.Fatal("no live event in 5 s")
	}
	return sseEvent{}
}

// nextAgentChange returns the next change of the agent id, skipping others.
func nextAgentChange(t *testing.T, events <-chan sseEvent, id string) (sseEvent, projections.Change) {
	t.Helper()
	for {
		e := nextLive(t, events)
		var ch projections.Change
		if e.name == "change" && json.Unmarshal([]byte(e.data), &ch) == nil && ch.ID == id {
			return e, ch
		}
	}
}

func TestLiveStreamsChangesToViewersAndResumes(t *testing.T) {
	s := startInProcess(t, time.Minute)
	viewer := s.as(newToken(t, s, map[string]any{"role": "viewer"}))
	resp, events := openLive(t, viewer, "agents,feed", "")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("GET /v1/live as a viewer: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if e := nextLive(t, events); e.name != "hello" {
		t.Fatalf("first event %+v, want hello", e)
	}
	a := registerAgent(t, s, "live-a", "code")
	e, ch := nextAgentChange(t, events, a)
	var row struct {
		Name string `json:"name"`
	}
	if ch.Topic != projections.TopicAgents || json.Unmarshal(ch.Data, &row) != nil || row.Name != "live-a" {
		t.Fatalf("change %+v, want agent live-a's row", ch)
	}
	_ = resp.Body.Close()

	// Changes made while disconnected arrive after a resume, and the one
	// received before does not come again.
	b := registerAgent(t, s, "live-b", "code")
	_, events = openLive(t, viewer, "agents", e.id)
	if hello := nextLive(t, events); hello.name != "hello" {
		t.Fatalf("first event after a resume %+v, want hello", hello)
	}
	for {
		next := nextLive(t, events)
		var c projections.Change
		if err := json.Unmarshal([]byte(next.data), &c); err != nil || next.name != "change" {
			t.Fatalf("event %+v after a resume: %v", next, err)
		}
		if c.ID == a && c.Position <= ch.Position {
			t.Fatalf("change %+v came again after resuming from %s", c, e.id)
		}
		if c.ID == b {
			break
		}
	}

	// An id of another server (epoch) is answered with a resync.
	_, events = openLive(t, viewer, "agents", "ELSEWHERE-1")
	if r := nextLive(t, events); r.name != "resync" {
		t.Fatalf("event %+v for another epoch's id, want resync", r)
	}
}

func TestLiveRefusals(t *testing.T) {
	s := startInProcess(t, time.Minute)
	for _, topics := range []string{"", "agents,nope", "workflows/not-a-uuid"} {
		s.problem(t, http.MethodGet, "/v1/live?topics="+topics, nil, http.StatusUnprocessableEntity, "topics")
	}
	s.as("").problem(t, http.MethodGet, "/v1/live?topics=agents", nil, http.StatusUnauthorized, "")
	agent := s.as(newToken(t, s, map[string]any{"role": "agent", "agent_id": registerAgent(t, s, "worker", "code")}))
	agent.problem(t, http.MethodGet, "/v1/live?topics=agents", nil, http.StatusForbidden, "")
}

// TestLiveStreamOutlivesTheWriteTimeout serves Hive with a short
// WriteTimeout: a live stream goes on past it.
func TestLiveStreamOutlivesTheWriteTimeout(t *testing.T) {
	const writeTimeout = 300 * time.Millisecond
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	h, err := assemble(ctx, settings{dataDir: dir, heartbeatTimeout: time.Minute}, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for _, work := range h.workers {
		wg.Go(func() {
			if err := work(ctx); err != nil {
				t.Errorf("worker: %v", err)
			}
		})
	}
	srv := httptest.NewUnstartedServer(h.handler)
	srv.Config.WriteTimeout = writeTimeout
	srv.Start()
	t.Cleanup(func() {
		srv.Close()
		cancel()
		wg.Wait()
		if err := h.close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	s := &sim{client: srv.Client(), token: adminToken(t, dir)}
	s.url.Store(&srv.URL)
	// Until the read models have caught up, the admin token is not known.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if code, _ := s.call(http.MethodGet, "/readyz", nil, nil); code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready after 5 s")
		}
	}
	resp, events := openLive(t, s, "agents", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/live: %s", resp.Status)
	}
	if e := nextLive(t, events); e.name != "hello" {
		t.Fatalf("first event %+v, want hello", e)
	}
	time.Sleep(3 * writeTimeout) // the stream's age passes the server's WriteTimeout
	id := registerAgent(t, s, "late", "code")
	if _, ch := nextAgentChange(t, events, id); ch.Topic != projections.TopicAgents {
		t.Fatalf("change %+v, want agent late's row", ch)
	}
}
