package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"hive/events"
	"hive/events/pebblestore"
	hivev1 "hive/proto/hive/v1"
)

var update = flag.Bool("update", false, "rewrite the golden files of the log tools' output")

// fixedHistory writes a deterministic history (fixed ids, times and
// payloads) into the event store of a new data dir, and returns the dir.
func fixedHistory(t *testing.T) string {
	t.Helper()
	dataDir := t.TempDir()
	s, err := pebblestore.Open(pebblestore.Config{Dir: filepath.Join(dataDir, "events")})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	steps := []struct {
		stream, principal string
		msg               proto.Message
	}{
		{"swarm-crew", "token:admin", &hivev1.SwarmCreated{SwarmId: "crew", Name: "crew", Topology: "mesh"}},
		{"agent-a1", "token:admin", &hivev1.AgentRegistered{AgentId: "a1", Name: "ada", Capabilities: []string{"code"}, MaxConcurrency: 2}},
		{"agent-a2", "token:ops", &hivev1.AgentRegistered{AgentId: "a2", Name: "bob", Capabilities: []string{"review"}, MaxConcurrency: 1}},
		{"agent-a1", "token:admin", &hivev1.AgentJoinedSwarm{AgentId: "a1", SwarmId: "crew", Capabilities: []string{"code"}, MaxConcurrency: 2}},
		{"swarm-crew", "token:admin", &hivev1.SwarmMemberJoined{SwarmId: "crew", AgentId: "a1"}},
		{"agent-a2", "token:ops", &hivev1.AgentJoinedSwarm{AgentId: "a2", SwarmId: "crew", Capabilities: []string{"review"}, MaxConcurrency: 1}},
		{"swarm-crew", "token:ops", &hivev1.SwarmMemberJoined{SwarmId: "crew", AgentId: "a2"}},
		{"agent-a1", "agent:a1", &hivev1.AgentDraining{AgentId: "a1"}},
	}
	for i, st := range steps {
		typ, payload, err := events.Encode(st.msg)
		if err != nil {
			t.Fatal(err)
		}
		ev := events.Event{
			ID: uuid.UUID{15: byte(i + 1)}, Type: typ, SchemaVersion: 1, Payload: payload,
			RecordedAt: at.Add(time.Duration(i) * time.Minute),
			Metadata:   events.Metadata{CorrelationID: "corr-" + string(rune('a'+i/3)), CausationID: "cause", Principal: st.principal},
		}
		if _, err := s.Append(context.Background(), st.stream, events.Any(), []events.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	return dataDir
}

// runHive runs the CLI with args and returns its output and error.
func runHive(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	root := newRootCommand()
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(args)
	err := root.ExecuteContext(t.Context())
	return out.String(), err
}

// golden compares got with testdata/name.golden, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestLogToolsGolden(t *testing.T) {
	dataDir := fixedHistory(t)
	cases := []struct {
		name string
		args []string
		// perStore: the output names what the store checked, so each
		// kind of store has a golden file of its own.
		perStore bool
	}{
		{name: "events_list", args: []string{"events", "list"}},
		{name: "events_list_filtered", args: []string{"events", "list", "--entity", "agent/a1", "--principal", "token:admin", "--type", "AgentJoinedSwarm"}},
		{name: "events_list_range", args: []string{"events", "list", "--from", "3", "--to", "6", "--since", "2026-01-02T15:05:00Z", "--until", "2026-01-02T15:09:00Z"}},
		{name: "events_list_correlation", args: []string{"events", "list", "--correlation-id", "corr-b", "--limit", "2"}},
		{name: "events_read", args: []string{"events", "read", "swarm-crew"}},
		{name: "events_read_backward", args: []string{"events", "read", "agent-a1", "--backward", "--limit", "2"}},
		{name: "events_tail", args: []string{"events", "tail", "-n", "3"}},
		{name: "events_tail_filtered", args: []string{"events", "tail", "-n", "2", "--stream", "agent-a2"}},
		{name: "verify", args: []string{"verify"}, perStore: true},
	}
	for _, src := range logSources(t, dataDir) {
		t.Run(src.name, func(t *testing.T) {
			for _, tc := range cases {
				t.Run(tc.name, func(t *testing.T) {
					out, err := runHive(t, append(tc.args, src.flags...)...)
					if err != nil {
						t.Fatalf("hive %s: %v", strings.Join(tc.args, " "), err)
					}
					golden(t, src.golden(tc.name, tc.perStore), out)
				})
			}
		})
	}
}

// readStore returns every event of the event store in dataDir.
func readStore(t *testing.T, dataDir string) []events.Envelope {
	t.Helper()
	src, err := openOfflineLog(dataDir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	return readWhole(t, src)
}

func TestVerifyRefusesATamperedDataDir(t *testing.T) {
	dataDir := fixedHistory(t)
	db, err := pebble.Open(filepath.Join(dataDir, "events"), &pebble.Options{Logger: quietPebble{t}})
	if err != nil {
		t.Fatal(err)
	}
	key := binary.BigEndian.AppendUint64([]byte{'l'}, 5) // swarm-crew version 2
	raw, closer, err := db.Get(key)
	if err != nil {
		t.Fatal(err)
	}
	raw = bytes.Clone(raw)
	raw[bytes.LastIndex(raw, []byte("crew"))+2] = 'o' // in the payload, after the stream name
	closer.Close()
	if err := errors.Join(db.Set(key, raw, pebble.Sync), db.Close()); err != nil {
		t.Fatal(err)
	}
	_, err = runHive(t, "verify", "--data-dir", dataDir)
	if err == nil || !strings.Contains(err.Error(), `stream "swarm-crew" version 2`) {
		t.Fatalf("verify of a tampered data dir: %v, want it to name swarm-crew version 2", err)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	dataDir := fixedHistory(t)
	want := readStore(t, dataDir)
	for _, format := range []string{"ndjson", "binary"} {
		t.Run(format, func(t *testing.T) {
			file := filepath.Join(t.TempDir(), "log."+format)
			if _, err := runHive(t, "export", "--data-dir", dataDir, "--format", format, "--out", file); err != nil {
				t.Fatalf("export: %v", err)
			}
			restored := filepath.Join(t.TempDir(), "restored")
			out, err := runHive(t, "import", file, "--data-dir", restored)
			if err != nil || !strings.Contains(out, "imported 8 events") {
				t.Fatalf("import: %q, %v", out, err)
			}
			got := readStore(t, restored)
			if len(got) != len(want) {
				t.Fatalf("restored %d events, want %d", len(got), len(want))
			}
			for i := range want {
				if !sameEvent(got[i], want[i]) {
					t.Errorf("position %d restored as %+v, want %+v", i+1, got[i], want[i])
				}
			}
			if out, err := runHive(t, "verify", "--data-dir", restored); err != nil {
				t.Errorf("verify of the restored data dir: %q, %v", out, err)
			}
			if _, err := runHive(t, "import", file, "--data-dir", restored); err == nil || !strings.Contains(err.Error(), "needs an empty one") {
				t.Errorf("import into a data dir with events: %v, want a refusal", err)
			}
		})
	}
}

func TestImportRefusesACorruptedFile(t *testing.T) {
	dataDir := fixedHistory(t)
	file := filepath.Join(t.TempDir(), "log.ndjson")
	if _, err := runHive(t, "export", "--data-dir", dataDir, "--out", file); err != nil {
		t.Fatalf("export: %v", err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(raw), "\n")
	lines[5] = strings.Replace(lines[5], `"principal":"token:ops"`, `"principal":"token:admin"`, 1) // agent-a2 version 2
	if err := os.WriteFile(file, []byte(strings.Join(lines, "")), 0o644); err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(t.TempDir(), "restored")
	_, err = runHive(t, "import", file, "--data-dir", restored)
	if err == nil || !strings.Contains(err.Error(), `line 6: stream "agent-a2" version 2`) {
		t.Fatalf("import of a corrupted file: %v, want it refused at line 6", err)
	}
	if _, err := os.Stat(restored); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused import touched the data dir: %v", err)
	}
}

// quietPebble is a pebble logger that speaks only when pebble fails.
type quietPebble struct{ t testing.TB }

func (quietPebble) Infof(string, ...any)           {}
func (q quietPebble) Errorf(f string, args ...any) { q.t.Errorf(f, args...) }
func (q quietPebble) Fatalf(f string, args ...any) { q.t.Fatalf(f, args...) }

// TestExportLeavesNoPartialFile: an export that fails leaves nothing in
// the target's directory, and one to an existing file refuses to clobber it.
func TestExportLeavesNoPartialFile(t *testing.T) {
	dataDir := fixedHistory(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "log.xml")
	if _, err := runHive(t, "export", "--data-dir", dataDir, "--format", "xml", "--out", file); err == nil {
		t.Fatal("export in an unknown format succeeded")
	}
	if left, err := os.ReadDir(dir); err != nil || len(left) != 0 {
		t.Fatalf("a failed export left %v (%v)", left, err)
	}
	if err := os.WriteFile(file, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := runHive(t, "export", "--data-dir", dataDir, "--out", file); err == nil || !errors.Is(err, fs.ErrExist) {
		t.Fatalf("export over an existing file: %v, want a refusal", err)
	}
	if raw, err := os.ReadFile(file); err != nil || string(raw) != "keep" {
		t.Fatalf("the existing file now holds %q (%v)", raw, err)
	}
}

// TestImportRefusesLostEvents: an archive without its last event, or cut
// at a line boundary, still has intact hash chains; the trailer refuses it.
func TestImportRefusesLostEvents(t *testing.T) {
	dataDir := fixedHistory(t)
	file := filepath.Join(t.TempDir(), "log.ndjson")
	if _, err := runHive(t, "export", "--data-dir", dataDir, "--out", file); err != nil {
		t.Fatalf("export: %v", err)
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(strings.TrimSuffix(string(raw), "\n"), "\n") // 8 events, the trailer
	cases := []struct{ name, raw, want string }{
		{"the last event deleted", strings.Join(lines[:7], "") + lines[8], "line 8: trailer: it says 8 events, the archive has 7"},
		{"cut after line 7", strings.Join(lines[:7], ""), "line 8: missing trailer: the archive is truncated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cut := filepath.Join(t.TempDir(), "cut.ndjson")
			if err := os.WriteFile(cut, []byte(tc.raw), 0o644); err != nil {
				t.Fatal(err)
			}
			restored := filepath.Join(t.TempDir(), "restored")
			_, err := runHive(t, "import", cut, "--data-dir", restored)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("import: %v, want it refused: %s", err, tc.want)
			}
			if _, err := os.Stat(restored); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused import touched the data dir: %v", err)
			}
		})
	}
}

// endBefore is a real log served without its events after position end,
// as a server that lost them would serve it.
type endBefore struct {
	logSource
	end uint64
}

func (l endBefore) ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error) {
	page, err := l.logSource.ReadAll(ctx, after, limit)
	for i := range page {
		if page[i].Position > l.end {
			return page[:i], err
		}
	}
	return page, err
}

// TestVerifyReadsToTheHead: a log read through the API whose events end
// before the head the server tells fails verification, though its chains
// are intact.
func TestVerifyReadsToTheHead(t *testing.T) {
	src, err := openOfflineLog(fixedHistory(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var out bytes.Buffer
	if err := verifyLog(t.Context(), endBefore{logSource: src, end: 8}, &out); err != nil || !strings.Contains(out.String(), "up to the head, position 8") {
		t.Fatalf("verify of the whole log: %q, %v", out.String(), err)
	}
	err = verifyLog(t.Context(), endBefore{logSource: src, end: 7}, io.Discard)
	if want := "the log read ends at position 7, but the server's head is position 8"; err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("verify of a log without its last event: %v, want %s", err, want)
	}
}

// TestImportLeavesNoHalfRestoredStore: an import whose appends fail (here
// cancelled) removes the store it was building and leaves no events/;
// an events/ whose head cannot be read is refused as such.
func TestImportLeavesNoHalfRestoredStore(t *testing.T) {
	file := filepath.Join(t.TempDir(), "log.binary")
	if _, err := runHive(t, "export", "--data-dir", fixedHistory(t), "--format", "binary", "--out", file); err != nil {
		t.Fatalf("export: %v", err)
	}
	dataDir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := importFile(ctx, file, dataDir); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled import: %v, want context.Canceled", err)
	}
	if left, err := os.ReadDir(dataDir); err != nil || len(left) != 0 {
		t.Fatalf("a failed import left %v (%v)", left, err)
	}
	if err := os.WriteFile(filepath.Join(dataDir, "events"), []byte("not a store"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := importFile(t.Context(), file, dataDir)
	if err == nil || strings.Contains(err.Error(), "has 0 events") || !strings.Contains(err.Error(), "the event store in") {
		t.Fatalf("import over an unreadable event store: %v, want it named as such", err)
	}
}
