package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
