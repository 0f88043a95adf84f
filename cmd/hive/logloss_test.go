package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"hive/events/pebblestore"
	"hive/events/storetest"
)

// ackedAgents is how many agents ackedDataDir registers.
const ackedAgents = 200

// ackedDataDir registers ackedAgents agents through a server assembled as
// hive serve does, each answered 201, waits for the read models to see
// the last one, stops the server cleanly (which saves the read models)
// and returns the data dir and the agents' ids.
func ackedDataDir(t *testing.T) (string, []string) {
	t.Helper()
	dataDir := t.TempDir()
	s, stop := launch(t, settings{dataDir: dataDir, heartbeatTimeout: time.Minute}, slog.New(slog.DiscardHandler))
	ids := make([]string, ackedAgents)
	for i := range ids {
		ids[i] = registerAgent(t, s, fmt.Sprintf("agent-%03d", i), "code")
	}
	deadline := time.Now().Add(5 * time.Second)
	for code, _ := s.call(http.MethodGet, "/v1/agents/"+ids[len(ids)-1], nil, nil); code != http.StatusOK; code, _ = s.call(http.MethodGet, "/v1/agents/"+ids[len(ids)-1], nil, nil) {
		if time.Now().After(deadline) {
			t.Fatalf("the last agent is not in the read model after 5 s: %d", code)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	return dataDir, ids
}

// copyDir copies the tree at from to a new directory and returns it.
func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), "data")
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o700)
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), raw, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}

// newestWAL returns the path of the newest write-ahead log of the event
// store of dataDir.
func newestWAL(t *testing.T, dataDir string) string {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(dataDir, "events", "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no write-ahead log in %s (%v)", dataDir, err)
	}
	slices.Sort(logs)
	return logs[len(logs)-1]
}

// walDamages are what an operator's bad luck does to the newest
// write-ahead log: a byte flipped in the middle (with valid records after
// it in later blocks), one flipped in its last block (which pebble cannot
// tell from a torn tail), the file truncated to half, or deleted.
var walDamages = []struct {
	name   string
	damage func(path string) error
}{
	{"byte flipped in the middle", func(path string) error { return flipByte(path, func(n int) int { return n / 2 }) }},
	{"byte flipped in the last block", func(path string) error { return flipByte(path, func(n int) int { return n - 300 }) }},
	{"truncated to half", func(path string) error {
		fi, err := os.Stat(path)
		if err != nil {
			return err
		}
		return os.Truncate(path, fi.Size()/2)
	}},
	{"deleted", os.Remove},
}

// flipByte flips one bit of the byte at offset at(size) of the file.
func flipByte(path string, at func(size int) int) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	raw[at(len(raw))] ^= 0x20
	return os.WriteFile(path, raw, 0o600)
}

// TestDamagedLogIsRefusedAtStartAndByVerify damages the write-ahead log
// of a data dir whose every agent was acknowledged: hive serve refuses to
// start on it, saying which evidence shows how many events are missing
// and what to do, without touching the damaged log; hive verify reports
// the loss. Each evidence is tried alone (the other removed) and both
// together.
func TestDamagedLogIsRefusedAtStartAndByVerify(t *testing.T) {
	acked, _ := ackedDataDir(t)
	evidence := []struct {
		name, remove, says string
	}{
		{"head mark and read models", "", "acknowledged events are missing"},
		{"head mark alone", "projections", "head mark"},
		{"read models alone", filepath.Join("events", pebblestore.MarkFile), "saved in"},
	}
	for _, d := range walDamages {
		for _, ev := range evidence {
			if d.name == "byte flipped in the last block" && ev.name == "read models alone" {
				// The read models are saved behind the head: alone, they
				// catch a loss only if it reaches below their positions,
				// and this damage may take only events after them.
				continue
			}
			t.Run(d.name+", "+ev.name, func(t *testing.T) {
				dataDir := copyDir(t, acked)
				if ev.remove != "" {
					if err := os.RemoveAll(filepath.Join(dataDir, ev.remove)); err != nil {
						t.Fatal(err)
					}
				}
				wal := newestWAL(t, dataDir)
				if err := d.damage(wal); err != nil {
					t.Fatal(err)
				}
				damaged, _ := os.ReadFile(wal)

				err := serveRefused(t, dataDir)
				if !errors.Is(err, pebblestore.ErrLogDamaged) {
					t.Fatalf("serve on a damaged log: %v, want ErrLogDamaged", err)
				}
				// The pebble-detected damage names its file; the rest name
				// the evidence.
				if msg := err.Error(); !strings.Contains(msg, "write-ahead log") && !strings.Contains(msg, ev.says) ||
					!strings.Contains(msg, "--accept-log-loss") {
					t.Fatalf("serve's refusal does not say which evidence and what to do:\n%s", msg)
				}
				if now, _ := os.ReadFile(wal); !slices.Equal(now, damaged) {
					t.Fatal("the refused start changed the damaged write-ahead log")
				}
				if _, err := runHive(t, "verify", "--data-dir", dataDir); !errors.Is(err, pebblestore.ErrLogDamaged) {
					t.Fatalf("verify of a damaged log: %v, want ErrLogDamaged", err)
				}
			})
		}
	}
}

// serveRefused runs hive serve on dataDir in this process and returns why
// it did not start; it fails t if the server starts.
func serveRefused(t *testing.T, dataDir string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), mainTimeout)
	defer cancel()
	root := newRootCommand()
	root.SetOut(io.Discard)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--log-level", "error"})
	err := root.ExecuteContext(ctx)
	if err == nil {
		t.Fatalf("hive serve started on the damaged log in %s (stopped after %v)", dataDir, mainTimeout)
	}
	return err
}

// TestServeExitsSayingWhyOnADamagedLog runs hive serve as a process on a
// damaged log: it exits with status 1 and says why on standard error.
func TestServeExitsSayingWhyOnADamagedLog(t *testing.T) {
	acked, _ := ackedDataDir(t)
	if err := os.Remove(newestWAL(t, acked)); err != nil {
		t.Fatal(err)
	}
	p := runMain(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", acked)
	if p.code != 1 || !strings.Contains(p.stderr, "acknowledged events are missing") || !strings.Contains(p.stderr, "--accept-log-loss") {
		t.Fatalf("hive serve on a damaged log: exit %d, stderr:\n%s", p.code, p.stderr)
	}
	p = runMain(t, "verify", "--data-dir", acked)
	if p.code != 1 || !strings.Contains(p.stderr, "acknowledged events are missing") {
		t.Fatalf("hive verify of a damaged log: exit %d, stderr:\n%s", p.code, p.stderr)
	}
}

// TestAcceptLogLossStartsOnWhatIsLeft: hive serve --accept-log-loss
// starts on each damaged log, logging what it accepted; the agents the
// log kept are there, new commands succeed, and from then on the data
// dir starts and verifies without the flag.
func TestAcceptLogLossStartsOnWhatIsLeft(t *testing.T) {
	acked, ids := ackedDataDir(t)
	for _, d := range walDamages {
		t.Run(d.name, func(t *testing.T) {
			dataDir := copyDir(t, acked)
			if err := d.damage(newestWAL(t, dataDir)); err != nil {
				t.Fatal(err)
			}
			logs := newLockedBuffer()
			s, stop := launch(t, settings{dataDir: dataDir, heartbeatTimeout: time.Minute, acceptLogLoss: true},
				slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
			if !strings.Contains(logs.String(), "accepting") {
				t.Errorf("the start does not log what it accepted:\n%s", logs.String())
			}
			kept := 0
			for _, id := range ids {
				if code, _ := s.call(http.MethodGet, "/v1/agents/"+id, nil, nil); code != http.StatusOK {
					break
				}
				kept++
			}
			for _, id := range ids[kept:] {
				if code, _ := s.call(http.MethodGet, "/v1/agents/"+id, nil, nil); code != http.StatusNotFound {
					t.Fatalf("agent %s answers %d after the first %d agents the log kept, want 404: the log kept a prefix", id, code, kept)
				}
			}
			t.Logf("the log kept %d of the %d agents", kept, len(ids))
			registerAgent(t, s, "after-the-loss", "code")
			stop()
			_, stop = launch(t, settings{dataDir: dataDir, heartbeatTimeout: time.Minute}, slog.New(slog.DiscardHandler))
			stop()
			if out, err := runHive(t, "verify", "--data-dir", dataDir); err != nil {
				t.Fatalf("verify after accepting the loss: %v\n%s", err, out)
			}
		})
	}
}

// TestDataDirIsPrivate: the data dir, and every directory and file a
// server writes in it, are their owner's alone.
func TestDataDirIsPrivate(t *testing.T) {
	acked, _ := ackedDataDir(t)
	storetest.CheckPrivate(t, acked)
}

// TestServeNamesTheProcessHoldingTheDataDir: a second hive serve on a
// data dir that a server holds exits saying the data dir is in use, and by
// which process.
func TestServeNamesTheProcessHoldingTheDataDir(t *testing.T) {
	dataDir := t.TempDir()
	launch(t, settings{dataDir: dataDir, heartbeatTimeout: time.Minute}, slog.New(slog.DiscardHandler))
	p := runMain(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir)
	want := fmt.Sprintf("locked by process %d", os.Getpid())
	if p.code != 1 || !strings.Contains(p.stderr, "in use by another process") || !strings.Contains(p.stderr, want) {
		t.Fatalf("hive serve on a data dir in use: exit %d, stderr:\n%s\nwant it to say %q", p.code, p.stderr, want)
	}
}
