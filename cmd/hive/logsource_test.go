package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"hive/events"
	"hive/events/pebblestore"
	"hive/http/client"
)

// readWhole reads every event of src in position order.
func readWhole(t *testing.T, src logSource) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	for {
		var after uint64
		if len(out) > 0 {
			after = out[len(out)-1].Position
		}
		page, err := src.ReadAll(t.Context(), after, 7) // small pages: paging is exercised
		if err != nil {
			t.Fatalf("read after %d: %v", after, err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
	}
}

// someActivity registers agents and a swarm with members.
func someActivity(t *testing.T, s *sim) {
	t.Helper()
	sw := createSwarm(t, s, map[string]any{"name": "crew", "topology": "mesh"})
	for _, name := range []string{"ada", "bob"} {
		id := registerAgent(t, s, name, "code")
		s.must(t, http.MethodPost, "/v1/swarms/"+sw+"/members", map[string]any{"agent_id": id}, nil)
	}
}

func TestLogSourceOnlineAndOfflineAgree(t *testing.T) {
	dataDir := t.TempDir()
	s, stop := launch(t, settings{dataDir: dataDir, heartbeatTimeout: time.Minute, timerInterval: 10 * time.Millisecond}, slog.New(slog.DiscardHandler))
	someActivity(t, s)
	if _, err := openOfflineLog(dataDir, slog.New(slog.DiscardHandler)); !errors.Is(err, pebblestore.ErrInUse) {
		t.Fatalf("offline open while the server runs: %v, want ErrInUse", err)
	}
	api, err := client.New(client.Config{Server: *s.url.Load(), Token: s.token})
	if err != nil {
		t.Fatal(err)
	}
	var online logSource = &onlineLog{api: api}
	onlineEvents := readWhole(t, online)
	head, err := online.Head(t.Context())
	if err != nil || head != uint64(len(onlineEvents)) {
		t.Fatalf("online head = %d, %v; want %d", head, err, len(onlineEvents))
	}
	checkChains(t, "online", online, onlineEvents)
	stop()

	offline, err := openOfflineLog(dataDir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("offline open: %v", err)
	}
	defer offline.Close()
	offlineEvents := readWhole(t, offline)
	if len(offlineEvents) < len(onlineEvents) { // reactions may have appended since
		t.Fatalf("offline %d events, online %d", len(offlineEvents), len(onlineEvents))
	}
	for i := range onlineEvents {
		if !sameEvent(onlineEvents[i], offlineEvents[i]) {
			t.Errorf("position %d: online %+v, offline %+v", i+1, onlineEvents[i], offlineEvents[i])
		}
	}
	checkChains(t, "offline", offline, offlineEvents)
	if _, err := offline.ReadStream(t.Context(), "agent-nobody", 1, events.Forward, 10); !errors.Is(err, events.ErrStreamNotFound) {
		t.Errorf("offline read of a missing stream: %v, want ErrStreamNotFound", err)
	}
}

// checkChains reads every stream of evs through src and verifies its chain.
func checkChains(t *testing.T, mode string, src logSource, evs []events.Envelope) {
	t.Helper()
	seen := map[string]bool{}
	for _, e := range evs {
		if seen[e.Stream] {
			continue
		}
		seen[e.Stream] = true
		stream, err := src.ReadStream(context.Background(), e.Stream, 1, events.Forward, 1000)
		if err != nil {
			t.Fatalf("%s: read %s: %v", mode, e.Stream, err)
		}
		if err := events.VerifyChain(stream); err != nil {
			t.Errorf("%s: %v", mode, err)
		}
	}
	if len(seen) < 4 {
		t.Fatalf("%s: only %d streams in the history", mode, len(seen))
	}
}

func sameEvent(a, b events.Envelope) bool {
	return a.ID == b.ID && a.Stream == b.Stream && a.Version == b.Version && a.Position == b.Position &&
		a.Type == b.Type && a.RecordedAt.Equal(b.RecordedAt) && a.SchemaVersion == b.SchemaVersion &&
		string(a.Payload) == string(b.Payload) && a.Metadata == b.Metadata && a.Hash == b.Hash
}

func TestLogRoutesRefuseBadRawAndAfter(t *testing.T) {
	s := startInProcess(t, time.Minute)
	var first struct {
		NextCursor string `json:"next_cursor"`
	}
	s.must(t, http.MethodGet, "/v1/events?limit=1", nil, &first)
	cases := []struct{ path, field string }{
		{"/v1/events?after=-1", "after"},
		{"/v1/events?after=1&cursor=" + first.NextCursor, "after"},
		{"/v1/events?raw=yes", "raw"},
		{"/v1/streams/agent-x?raw=1", "raw"},
	}
	for _, tc := range cases {
		s.problem(t, http.MethodGet, tc.path, nil, http.StatusBadRequest, tc.field)
	}
	registerAgent(t, s, "ada", "code")
	var page struct {
		Events []struct {
			Position      uint64 `json:"position"`
			PayloadBase64 []byte `json:"payload_base64"`
		} `json:"events"`
		Head uint64 `json:"head"`
	}
	s.must(t, http.MethodGet, "/v1/events?after=1&raw=true", nil, &page)
	if len(page.Events) == 0 || page.Events[0].Position != 2 || page.Head < page.Events[len(page.Events)-1].Position {
		t.Fatalf("GET /v1/events?after=1 = %+v", page)
	}
	for _, e := range page.Events {
		if len(e.PayloadBase64) == 0 {
			t.Errorf("raw=true: the event at %d has no payload bytes", e.Position)
		}
	}
}
