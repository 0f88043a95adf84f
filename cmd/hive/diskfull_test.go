package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"hive/events/storetest"
)

// startPatience is how long a start that cannot succeed may take to fail.
const startPatience = 10 * time.Second

// TestFullDiskAnswers507AndKeepsReads runs `hive serve` on a small disk
// and fills it: commands answer 507 with a problem, reads answer 200, and
// once space is freed commands work again. Filled again, the server stops
// cleanly on SIGTERM and a restart fails at once, saying why; with space
// freed it starts with every acknowledged command.
func TestFullDiskAnswers507AndKeepsReads(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hive and fills a disk under it; skipped with -short")
	}
	disk := storetest.SmallDisk(t, 32<<20)
	bin := buildHive(t)
	dataDir := filepath.Join(disk, "data")
	flags := []string{"--min-free-mib", "4"}
	srv := startServer(t, bin, dataDir, "first", flags...)
	waitReady(t, srv)
	first := mustRegister(t, srv, "before-full")

	free := storetest.FillDisk(t, disk)
	if r := register(t, srv, "while-full"); r.status != http.StatusInsufficientStorage || r.Type != "urn:hive:problem:insufficient-storage" {
		t.Fatalf("register on a full disk: %d %s %s, want 507 insufficient-storage", r.status, r.Type, r.Detail)
	}
	for _, path := range []string{"/v1/agents/" + first, "/v1/agents", "/v1/events"} {
		if got := getStatus(t, srv, path); got != http.StatusOK {
			t.Errorf("GET %s on a full disk: %d, want 200", path, got)
		}
	}

	free()
	second := mustRegister(t, srv, "after-full")
	storetest.FillDisk(t, disk)
	stopServer(t, srv)

	full := startServer(t, bin, dataDir, "on-full-disk", flags...)
	select {
	case <-full.exited:
		var exit *exec.ExitError
		if !errors.As(full.waitErr, &exit) {
			t.Fatalf("start on a full disk: %v, want a non-zero exit", full.waitErr)
		}
	case <-time.After(startPatience):
		t.Fatalf("start on a full disk still running after %v", startPatience)
	}
	if log := childOutput(t, full); !strings.Contains(log, "no space left") || !strings.Contains(log, "Free some space") {
		t.Errorf("start on a full disk says:\n%s\nwant why and what to do", log)
	}

	if err := os.Remove(filepath.Join(disk, "filler")); err != nil {
		t.Fatal(err)
	}
	srv = startServer(t, bin, dataDir, "after", flags...)
	waitReady(t, srv)
	for _, id := range []string{first, second} {
		if got := getStatus(t, srv, "/v1/agents/"+id); got != http.StatusOK {
			t.Errorf("agent %s after the restart: %d, want 200", id, got)
		}
	}
	stopServer(t, srv)
}

// TestSignalStopsAHangingStart: SIGTERM stops `hive serve` while it is
// still opening its event store. The store's manifest is replaced by a
// FIFO whose writer never writes, so the open blocks for good.
func TestSignalStopsAHangingStart(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hive; skipped with -short")
	}
	bin := buildHive(t)
	dataDir := t.TempDir()
	stopServer(t, startAndWait(t, bin, dataDir))
	manifest := replaceWithFIFO(t, filepath.Join(dataDir, "events"), "MANIFEST-")

	srv := startServer(t, bin, dataDir, "hanging")
	w := openWriterOnceRead(t, manifest, srv)
	defer w.Close()
	if err := srv.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-srv.exited:
	case <-time.After(startPatience):
		t.Fatalf("hive serve still running %v after SIGTERM during its start", startPatience)
	}
}

// startAndWait starts `hive serve` on dataDir and waits until it is ready.
func startAndWait(t *testing.T, bin, dataDir string) *hiveServer {
	t.Helper()
	srv := startServer(t, bin, dataDir, "first")
	waitReady(t, srv)
	return srv
}

// replaceWithFIFO replaces the newest file of dir named with prefix by a
// FIFO, and returns its path.
func replaceWithFIFO(t *testing.T, dir, prefix string) string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, prefix+"*"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no %s* in %s: %v", prefix, dir, err)
	}
	path := matches[len(matches)-1]
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// openWriterOnceRead opens the FIFO at path for writing as soon as a reader
// has it open (the server, blocked in its start), and returns it.
func openWriterOnceRead(t *testing.T, path string, srv *hiveServer) *os.File {
	t.Helper()
	deadline := time.Now().Add(startPatience)
	for {
		f, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0)
		if err == nil {
			return f
		}
		if !errors.Is(err, syscall.ENXIO) || time.Now().After(deadline) {
			t.Fatalf("open %s for writing: %v", path, err)
		}
		select {
		case <-srv.exited:
			t.Fatalf("hive serve exited instead of reading %s: %v", path, srv.waitErr)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// registration is the answer to registering an agent: its id, or a
// problem.
type registration struct {
	status int
	ID     string `json:"id"`
	Type   string `json:"type"`
	Detail string `json:"detail"`
}

// register registers an agent named name.
func register(t *testing.T, s *hiveServer, name string) registration {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, s.url+"/v1/agents", strings.NewReader(`{"name":"`+name+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("register %s: %v", name, err)
	}
	defer resp.Body.Close()
	r := registration{status: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("register %s: %d with an unreadable body: %v", name, resp.StatusCode, err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode >= 300 && ct != "application/problem+json" {
		t.Errorf("register %s: %d with Content-Type %q, want a problem", name, resp.StatusCode, ct)
	}
	return r
}

// mustRegister registers an agent named name and returns its id.
func mustRegister(t *testing.T, s *hiveServer, name string) string {
	t.Helper()
	r := register(t, s, name)
	if r.status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", name, r.status, r.Detail)
	}
	return r.ID
}

// getStatus sends an authenticated GET and returns its status.
func getStatus(t *testing.T, s *hiveServer, path string) int {
	t.Helper()
	resp, err := s.get(path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// childOutput returns what the server process wrote.
func childOutput(t *testing.T, s *hiveServer) string {
	t.Helper()
	out, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
