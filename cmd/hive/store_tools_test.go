package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/uuid"

	"hive/events"
	"hive/events/archive"
	"hive/events/esdbstore/esdbdouble"
	"hive/events/memstore"
	"hive/events/pgstore/pgtest"
)

// logSource is where the log tools of a test read a log: the flags that
// name it.
type toolSource struct {
	name  string
	flags []string
}

// golden returns the name of the golden file of the case name: the case's
// own, or with perStore one for each kind of store.
func (s toolSource) golden(name string, perStore bool) string {
	if perStore && s.name != "embedded" {
		return name + "_" + s.name
	}
	return name
}

// logSources returns the log of the data dir dataDir as the tools read it
// offline, and as they read it from a PostgreSQL store it was imported
// into: the same events at the same positions, so the same output.
func logSources(t *testing.T, dataDir string) []toolSource {
	t.Helper()
	return []toolSource{
		{name: "embedded", flags: []string{"--data-dir", dataDir}},
		{name: "postgres", flags: []string{"--store", importIntoPostgres(t, dataDir)}},
	}
}

// importIntoPostgres exports the log of the data dir dataDir and imports
// it into a new PostgreSQL database, whose URL it returns.
func importIntoPostgres(t *testing.T, dataDir string) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "log.binary")
	if _, err := runHive(t, "export", "--data-dir", dataDir, "--format", "binary", "--out", file); err != nil {
		t.Fatalf("export: %v", err)
	}
	store := pgtest.Shared(t).URL()
	if out, err := runHive(t, "import", file, "--store", store); err != nil {
		t.Fatalf("import --store: %q, %v", out, err)
	}
	return store
}

// TestArchiveRoundTripThroughPostgres restores an export of the embedded
// store into PostgreSQL and exports it again: the same bytes, in either
// format; hive verify --store finds the store intact; a second import into
// it is refused and changes nothing.
func TestArchiveRoundTripThroughPostgres(t *testing.T) {
	dataDir := fixedHistory(t)
	for _, format := range []string{"ndjson", "binary"} {
		t.Run(format, func(t *testing.T) {
			exported := filepath.Join(t.TempDir(), "embedded."+format)
			if _, err := runHive(t, "export", "--data-dir", dataDir, "--format", format, "--out", exported); err != nil {
				t.Fatalf("export: %v", err)
			}
			store := pgtest.Shared(t).URL()
			out, err := runHive(t, "import", exported, "--store", store)
			if err != nil || !strings.Contains(out, "imported 8 events into postgres://") {
				t.Fatalf("import --store: %q, %v", out, err)
			}
			assertNoSecret(t, out)
			want := readFile(t, exported)
			if got := exportStore(t, store, format); !bytes.Equal(got, want) {
				t.Fatalf("the export of the restored store differs from the one it was restored from:\n%s\nwant\n%s", got, want)
			}
			out, err = runHive(t, "verify", "--store", store)
			if want := "ok: 8 events in 3 streams up to the head, position 8: hash chains, versions and positions intact"; err != nil || !strings.Contains(out, want) {
				t.Errorf("verify --store: %q, %v; want %s", out, err, want)
			}
			_, err = runHive(t, "import", exported, "--store", store)
			if err == nil || !strings.Contains(err.Error(), "holds events (its head is position 8): import needs an empty one") {
				t.Errorf("import into a store with events: %v, want a refusal", err)
			}
			if got := exportStore(t, store, format); !bytes.Equal(got, want) {
				t.Errorf("a refused import changed the store: its export is now\n%s", got)
			}
		})
	}
}

// exportStore exports the store at the URL store in format and returns
// the archive.
func exportStore(t *testing.T, store, format string) []byte {
	t.Helper()
	file := filepath.Join(t.TempDir(), "store."+format)
	if _, err := runHive(t, "export", "--store", store, "--format", format, "--out", file); err != nil {
		t.Fatalf("export --store: %v", err)
	}
	return readFile(t, file)
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestArchiveRoundTripThroughEventStoreDB restores an export of the
// embedded store into EventStoreDB (its test double), which numbers
// positions itself, by appending: exported again, every event is the
// same but for its position; hive verify --store finds the store intact;
// a second import is refused.
func TestArchiveRoundTripThroughEventStoreDB(t *testing.T) {
	exported := filepath.Join(t.TempDir(), "embedded.ndjson")
	if _, err := runHive(t, "export", "--data-dir", fixedHistory(t), "--out", exported); err != nil {
		t.Fatalf("export: %v", err)
	}
	store := esdbdouble.Start(t).URL()
	out, err := runHive(t, "import", exported, "--store", store)
	if err != nil || !strings.Contains(out, "imported 8 events into esdb://") {
		t.Fatalf("import --store: %q, %v", out, err)
	}
	want := archivedEvents(t, exported)
	got := archivedEvents(t, filepath.Join(t.TempDir(), "store.ndjson"), "export", "--store", store)
	if len(got) != len(want) {
		t.Fatalf("exported %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Position <= 0 || (i > 0 && got[i].Position <= got[i-1].Position) {
			t.Errorf("event %d at position %d, after %d", i+1, got[i].Position, got[max(i-1, 0)].Position)
		}
		got[i].Position = want[i].Position
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("event %d restored as %+v, want %+v", i+1, got[i], want[i])
		}
	}
	out, err = runHive(t, "verify", "--store", store)
	if want := "ok: 8 events in 3 streams up to the head"; err != nil || !strings.Contains(out, want) {
		t.Errorf("verify --store: %q, %v; want %s", out, err, want)
	}
	if _, err = runHive(t, "import", exported, "--store", store); err == nil || !strings.Contains(err.Error(), "import needs an empty one") {
		t.Errorf("import into a store with events: %v, want a refusal", err)
	}
}

// archivedEvents returns the events of the archive at path, written first
// by hive with args if any are given.
func archivedEvents(t *testing.T, path string, args ...string) []events.Envelope {
	t.Helper()
	if len(args) > 0 {
		if _, err := runHive(t, append(args, "--out", path)...); err != nil {
			t.Fatalf("hive %s: %v", strings.Join(args, " "), err)
		}
	}
	r := openArchiveFile(t, path)
	var out []events.Envelope
	for {
		var e events.Envelope
		err := r.Next(&e)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
}

// TestImportChecksTheRestoredStore restores the fixed history into
// in-memory stores by appending, as into EventStoreDB, changes what each
// holds, and wants the check an import ends with to name the difference.
func TestImportChecksTheRestoredStore(t *testing.T) {
	exported := filepath.Join(t.TempDir(), "log.ndjson")
	if _, err := runHive(t, "export", "--data-dir", fixedHistory(t), "--out", exported); err != nil {
		t.Fatalf("export: %v", err)
	}
	extra := func(t *testing.T, s *memstore.Store) {
		ev := events.Event{ID: uuid.New(), Type: "hive.v1.AgentDraining", SchemaVersion: 1, Payload: []byte{}, Metadata: events.Metadata{Principal: "x"}}
		if _, err := s.Append(t.Context(), "agent-a9", events.NoStream(), []events.Event{ev}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		// restore fills s from r.
		restore func(t *testing.T, r archive.Reader, s *memstore.Store)
		want    string
	}{
		{name: "as archived", restore: func(t *testing.T, r archive.Reader, s *memstore.Store) { mustAppendAll(t, r, s) }},
		{name: "an event more", want: "holds more events than the archive: agent-a9 version 1",
			restore: func(t *testing.T, r archive.Reader, s *memstore.Store) { mustAppendAll(t, r, s); extra(t, s) }},
		{name: "an event less", want: "ends before the archive: agent-a1 version 3",
			restore: func(t *testing.T, r archive.Reader, s *memstore.Store) { mustAppendAll(t, &firstOf{r: r, n: 7}, s) }},
		{name: "another event", want: "differs from the archive: it holds agent-a9 version 1 where the archive holds swarm-crew version 1",
			restore: func(t *testing.T, r archive.Reader, s *memstore.Store) { extra(t, s); mustAppendAll(t, r, s) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := memstore.New(0)
			tc.restore(t, openArchiveFile(t, exported), s)
			err := checkRestored(t.Context(), s, openArchiveFile(t, exported))
			if tc.want == "" && err != nil {
				t.Fatalf("check: %v", err)
			}
			if tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("check: %v, want %s", err, tc.want)
			}
		})
	}
}

// mustAppendAll appends the events of r to s as hive import does.
func mustAppendAll(t *testing.T, r archive.Reader, s *memstore.Store) {
	t.Helper()
	if _, err := appendAll(t.Context(), r, s); err != nil {
		t.Fatal(err)
	}
}

// firstOf reads the first n events of r.
type firstOf struct {
	r archive.Reader
	n int
}

func (f *firstOf) Next(e *events.Envelope) error {
	if f.n == 0 {
		return io.EOF
	}
	f.n--
	return f.r.Next(e)
}

// openArchiveFile returns a reader of the archive at path.
func openArchiveFile(t *testing.T, path string) archive.Reader {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	r, _, err := archive.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
