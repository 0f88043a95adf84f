package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"hive/actors/replay/replaytest"
	"hive/actors/swarm"
	"hive/events/pebblestore"
	"hive/http/client"
)

// replayHistory writes replaytest's history (real decisions, TaskFailed at
// schema version 1) into the event store of a new data dir.
func replayHistory(t *testing.T) (string, replaytest.History) {
	t.Helper()
	dataDir := t.TempDir()
	s, err := pebblestore.Open(pebblestore.Config{Dir: filepath.Join(dataDir, "events")})
	if err != nil {
		t.Fatal(err)
	}
	h, err := replaytest.Write(t.Context(), s)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dataDir, h
}

// TestAuditReplayGolden checks the human output of audit and replay on a
// fixed history, offline and from PostgreSQL.
func TestAuditReplayGolden(t *testing.T) {
	dataDir, h := replayHistory(t)
	sw := "swarm/" + h.SwarmID
	mid := strconv.FormatUint(h.Positions[len(h.Positions)/2], 10)
	cases := []struct {
		name string
		args []string
	}{
		{"audit_swarm", []string{"audit", sw}},
		{"audit_agent_stream", []string{"audit", "agent-" + h.Agents["coder-2"]}},
		{"audit_correlation", []string{"audit", "--correlation", replaytest.Release}},
		{"replay_at_position", []string{"replay", sw, "--at", mid}},
		{"replay_at_time", []string{"replay", "agent/" + h.Agents["coder-1"], "--at", "2026-11-01T12:12:00Z"}},
		{"replay_diff", []string{"replay", sw, "--diff", mid, "2026-11-01T12:30:00Z"}},
		{"replay_what_if", []string{"replay", sw, "--what-if", "capability=5,load=0,success=0,speed=0"}},
		{"replay_what_if_same", []string{"replay", sw, "--what-if", "load=2"}},
	}
	for _, src := range logSources(t, dataDir) {
		t.Run(src.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					out, err := runHive(t, append(tc.args, src.flags...)...)
					if err != nil {
						t.Fatalf("hive %s: %v", strings.Join(tc.args, " "), err)
					}
					golden(t, tc.name, out)
				})
			}
		})
	}
}

// TestReplayHistoryVerifies checks that the history, its TaskFailed events
// stored at schema version 1, passes the store's verification: the hash
// chain covers the bytes as written, not as upcast.
func TestReplayHistoryVerifies(t *testing.T) {
	dataDir, _ := replayHistory(t)
	s, err := pebblestore.OpenReadOnly(pebblestore.Config{Dir: filepath.Join(dataDir, "events")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Verify(t.Context()); err != nil {
		t.Fatalf("verify: %v", err)
	}
}

// TestAuditReplayJSONLines checks that -o jsonl writes one JSON object a
// line: a decision each for audit, a divergence each for what-if.
func TestAuditReplayJSONLines(t *testing.T) {
	dataDir, h := replayHistory(t)
	cases := []struct {
		args  []string
		lines int
		key   string
	}{
		{[]string{"audit", "swarm/" + h.SwarmID}, 20, "why"},
		{[]string{"audit", "--correlation", replaytest.Release}, 6 + 15, "depth"},
		{[]string{"replay", "swarm/" + h.SwarmID, "--what-if", "load=0"}, 1, "alternative_agent"},
		{[]string{"replay", "swarm/" + h.SwarmID, "--at", "2026-11-01T12:30:00Z"}, 1, "state"},
	}
	for _, tc := range cases {
		out, err := runHive(t, append(tc.args, "--data-dir", dataDir, "-o", "jsonl")...)
		if err != nil {
			t.Fatalf("hive %s: %v", strings.Join(tc.args, " "), err)
		}
		lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
		if len(lines) != tc.lines {
			t.Fatalf("hive %s -o jsonl: %d lines, want %d:\n%s", strings.Join(tc.args, " "), len(lines), tc.lines, out)
		}
		for _, l := range lines {
			var obj map[string]json.RawMessage
			if err := json.Unmarshal([]byte(l), &obj); err != nil || obj[tc.key] == nil {
				t.Fatalf("line %q: %v, or no %q", l, err, tc.key)
			}
		}
	}
}

func TestAuditReplayRefusals(t *testing.T) {
	dataDir, h := replayHistory(t)
	sw := "swarm/" + h.SwarmID
	cases := []struct {
		args   []string
		errHas string
	}{
		{[]string{"audit"}, "either ENTITY or --correlation"},
		{[]string{"audit", sw, "--correlation", "x"}, "either ENTITY or --correlation"},
		{[]string{"audit", "swarm/nope"}, "no state"},
		{[]string{"replay", sw}, "one of --at"},
		{[]string{"replay", sw, "--at", "1", "--what-if", "load=1"}, "one of --at"},
		{[]string{"replay", sw, "--diff", "1"}, "--diff needs ENTITY A B"},
		{[]string{"replay", sw, "--at", "yesterday"}, "want a global position"},
		{[]string{"replay", sw, "--what-if", "capacity=1"}, "want capability, load, success or speed"},
		{[]string{"replay", "agent/x", "--what-if", "load=1"}, "replays a swarm"},
		{[]string{"replay", "robot/x", "--at", "5"}, "unknown entity kind"},
	}
	for _, tc := range cases {
		_, err := runHive(t, append(tc.args, "--data-dir", dataDir)...)
		if err == nil || !strings.Contains(err.Error(), tc.errHas) {
			t.Fatalf("hive %s: %v, want an error with %q", strings.Join(tc.args, " "), err, tc.errHas)
		}
	}
}

// TestAuditReplayOnline runs audit and replay through a server's API and
// then offline on its data dir: the same entity at the same position reads
// the same either way.
func TestAuditReplayOnline(t *testing.T) {
	dataDir := t.TempDir()
	s, stop := launch(t, settings{dataDir: dataDir, heartbeatTimeout: time.Minute, timerInterval: 10 * time.Millisecond}, slog.New(slog.DiscardHandler))
	someActivity(t, s)
	sw := swarm.IDFor("crew")
	for range 3 {
		s.must(t, http.MethodPost, "/v1/swarms/"+sw+"/tasks", map[string]any{"capability": "code"}, nil)
	}
	api, err := client.New(client.Config{Server: *s.url.Load(), Token: s.token})
	if err != nil {
		t.Fatal(err)
	}
	page, err := api.ReadLog(t.Context(), client.LogRead{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	head := strconv.FormatUint(page.Head, 10)
	first, err := api.ReadStream(t.Context(), "swarm-"+sw, client.StreamRead{From: 1, Limit: 1})
	if err != nil || len(first) != 1 {
		t.Fatalf("read the swarm's first event: %v", err)
	}
	created := strconv.FormatUint(first[0].Position, 10)
	cases := [][]string{
		{"replay", "swarm/" + sw, "--at", head},
		{"replay", "swarm/" + sw, "--diff", created, head},
		{"replay", "swarm/" + sw, "--what-if", "load=0,capability=3"},
		{"audit", "swarm/" + sw},
	}
	online := make([]string, len(cases))
	for i, args := range cases {
		out, err := runHive(t, append(args, "--server", *s.url.Load(), "--token", s.token)...)
		if err != nil {
			t.Fatalf("online hive %s: %v", strings.Join(args, " "), err)
		}
		online[i] = out
	}
	stop()
	for i, args := range cases {
		out, err := runHive(t, append(args, "--data-dir", dataDir)...)
		if err != nil {
			t.Fatalf("offline hive %s: %v", strings.Join(args, " "), err)
		}
		if out != online[i] {
			t.Errorf("hive %s online:\n%s\noffline:\n%s", strings.Join(args, " "), online[i], out)
		}
	}
	if !strings.Contains(online[2], "of 2 assignments would differ") {
		t.Errorf("what-if online: %q; want the 2 assignments (the third task waits for a free member) re-run", online[2])
	}
}
