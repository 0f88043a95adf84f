package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hive/events"
	"hive/events/archive"
	"hive/http/api"
)

func TestLogToolsOnline(t *testing.T) {
	dataDir := t.TempDir()
	s, stop := launch(t, settings{dataDir: dataDir, heartbeatTimeout: time.Minute, timerInterval: 10 * time.Millisecond}, slog.New(slog.DiscardHandler))
	someActivity(t, s)
	online := []string{"--server", *s.url.Load(), "--token", s.token}

	out, err := runHive(t, append([]string{"events", "list", "--all", "-o", "jsonl", "--type", "AgentRegistered"}, online...)...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, line := range lines {
		var e api.EventJSON
		if err := json.Unmarshal([]byte(line), &e); err != nil || e.Type != "hive.v1.AgentRegistered" || string(e.Payload) == "null" {
			t.Errorf("jsonl line %q: %+v, %v", line, e, err)
		}
	}
	if len(lines) != 2 {
		t.Errorf("%d AgentRegistered events online, want 2", len(lines))
	}
	if out, err := runHive(t, append([]string{"verify"}, online...)...); err != nil || !strings.HasPrefix(out, "ok: ") {
		t.Errorf("verify online: %q, %v", out, err)
	}
	onlineFile := filepath.Join(t.TempDir(), "online.log")
	if _, err := runHive(t, append([]string{"export", "--format", "binary", "--out", onlineFile}, online...)...); err != nil {
		t.Fatalf("export online: %v", err)
	}
	stop()

	offlineFile := filepath.Join(t.TempDir(), "offline.log")
	if _, err := runHive(t, "export", "--format", "binary", "--out", offlineFile, "--data-dir", dataDir); err != nil {
		t.Fatalf("export offline: %v", err)
	}
	onlineLog, offlineLog := readArchive(t, onlineFile), readArchive(t, offlineFile)
	// Reactions may have appended after the online export, never before.
	if len(onlineLog) < 5 || len(onlineLog) > len(offlineLog) {
		t.Fatalf("the online export has %d events, the offline one %d", len(onlineLog), len(offlineLog))
	}
	for i := range onlineLog {
		if !sameEvent(onlineLog[i], offlineLog[i]) {
			t.Errorf("event %d: online %+v, offline %+v", i+1, onlineLog[i], offlineLog[i])
		}
	}
}

// readArchive reads every event of the archive file at path, trailer
// checked.
func readArchive(t *testing.T, path string) []events.Envelope {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, _, err := archive.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []events.Envelope
	for {
		var e events.Envelope
		err := r.Next(&e)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		out = append(out, e)
	}
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestTailFollowsTheLog(t *testing.T) {
	s := startInProcess(t, time.Minute)
	registerAgent(t, s, "early", "code")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out syncBuffer
	root := newRootCommand()
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs([]string{"events", "tail", "--follow", "-n", "1", "--type", "AgentRegistered", "-o", "jsonl", "--server", *s.url.Load(), "--token", s.token})
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx) }()
	waitFor(t, &out, `"name":"early"`)
	late := registerAgent(t, s, "late", "code")
	waitFor(t, &out, "agent-"+late)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("tail --follow ended with %v", err)
	}
	if n := strings.Count(out.String(), "\n"); n != 2 {
		t.Errorf("tail --follow printed %d lines, want the early and the late registration:\n%s", n, out.String())
	}
}

// waitFor polls out until it contains want.
func waitFor(t *testing.T, out *syncBuffer, want string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s in the output after 5 s:\n%s", want, out.String())
		}
	}
}
