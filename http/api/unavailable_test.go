package api_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"hive/events"
	"hive/http/api"
)

// TestUnreachableStoreIsServiceUnavailable takes the event store away
// under a running stack and wants every request that needs it, commands
// and log reads alike, answered 503 with Retry-After as problem+json,
// each reported as a warning rather than an error; and the API back once
// the store is.
func TestUnreachableStoreIsServiceUnavailable(t *testing.T) {
	store := &unreachableStore{}
	logs := &levelRecorder{}
	s := startStackOver(t, t.TempDir(), api.Config{}, stackOptions{
		wrap:   func(inner events.Store) events.Store { store.Store = inner; return store },
		logger: slog.New(logs),
	})
	reg := s.post(t, "/v1/agents", map[string]any{"name": "a", "capabilities": []string{"go"}})
	if reg.status != http.StatusCreated {
		t.Fatalf("register: status %d: %s", reg.status, reg.raw)
	}
	agentID, _ := reg.body["id"].(string)
	store.down.Store(true)
	tests := []struct {
		name, method, path string
		body               any
	}{
		{name: "a command to a new entity", method: http.MethodPost, path: "/v1/agents", body: map[string]any{"name": "c", "capabilities": []string{"go"}}},
		{name: "a command to a live entity", method: http.MethodPost, path: "/v1/agents/" + agentID + "/drain", body: map[string]any{}},
		{name: "a read of the log", method: http.MethodGet, path: "/v1/events"},
		{name: "a read of a stream", method: http.MethodGet, path: "/v1/streams/agent-00000000-0000-0000-0000-000000000001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r response
			if tc.body != nil {
				r = s.post(t, tc.path, tc.body)
			} else {
				r = s.get(t, tc.path)
			}
			assertProblem(t, r, http.StatusServiceUnavailable, "")
			if r.header.Get("Retry-After") == "" {
				t.Error("no Retry-After")
			}
			if r.body["type"] != "urn:hive:problem:unavailable" {
				t.Errorf("type %v, want urn:hive:problem:unavailable", r.body["type"])
			}
		})
	}
	// The process is alive, and reconnects by itself: healthz says so;
	// it cannot serve until then: readyz says why.
	if r := s.get(t, "/healthz"); r.status != http.StatusOK {
		t.Errorf("GET /healthz with the store out of reach: %d, want 200", r.status)
	}
	ready := s.get(t, "/readyz")
	assertProblem(t, ready, http.StatusServiceUnavailable, "")
	if detail, _ := ready.body["detail"].(string); !strings.Contains(detail, "event store cannot be reached") || ready.body["lag"] == nil {
		t.Errorf("GET /readyz with the store out of reach: %s; want a detail saying the event store cannot be reached, and the lag", ready.raw)
	}
	if n := logs.count(slog.LevelError); n != 0 {
		t.Errorf("%d errors logged for an unreachable store, want warnings only:\n%s", n, logs.text())
	}
	if logs.count(slog.LevelWarn) == 0 {
		t.Error("nothing logged at warning level")
	}

	store.down.Store(false)
	if r := s.post(t, "/v1/agents", map[string]any{"name": "b", "capabilities": []string{"go"}}); r.status != http.StatusCreated {
		t.Fatalf("with the store back: status %d, want 201: %s", r.status, r.raw)
	}
	if r := s.get(t, "/readyz"); r.status != http.StatusOK {
		t.Errorf("GET /readyz with the store back: %d %s, want 200", r.status, r.raw)
	}
}

// unreachableStore is a store that, while down, fails every append and
// read with events.ErrUnavailable, as a backend whose server went away.
type unreachableStore struct {
	events.Store
	down atomic.Bool
}

func (s *unreachableStore) fail(what string) error {
	if s.down.Load() {
		return fmt.Errorf("test store: %s: %w: connection refused", what, events.ErrUnavailable)
	}
	return nil
}

func (s *unreachableStore) Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	if err := s.fail("append"); err != nil {
		return events.AppendResult{}, err
	}
	return s.Store.Append(ctx, stream, expected, evs)
}

func (s *unreachableStore) ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error) {
	if err := s.fail("read stream"); err != nil {
		return nil, err
	}
	return s.Store.ReadStream(ctx, stream, from, dir, limit)
}

func (s *unreachableStore) ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error) {
	if err := s.fail("read"); err != nil {
		return nil, err
	}
	return s.Store.ReadAll(ctx, after, limit)
}

func (s *unreachableStore) Head(ctx context.Context) (uint64, error) {
	if err := s.fail("head"); err != nil {
		return 0, err
	}
	return s.Store.Head(ctx)
}

// levelRecorder is a slog handler keeping each record's level and text.
type levelRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (h *levelRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *levelRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *levelRecorder) WithGroup(string) slog.Handler            { return h }

func (h *levelRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, r.Clone())
	return nil
}

// count returns how many records were logged at level.
func (h *levelRecorder) count(level slog.Level) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, r := range h.records {
		if r.Level == level {
			n++
		}
	}
	return n
}

// text returns the records, one a line.
func (h *levelRecorder) text() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var b strings.Builder
	for _, r := range h.records {
		fmt.Fprintf(&b, "%s %s", r.Level, r.Message)
		r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s", a); return true })
		b.WriteByte('\n')
	}
	return b.String()
}
