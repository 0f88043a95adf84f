package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"hive/events"
	"hive/events/pebblestore"
	"hive/events/storetest"
)

// corruptTable moves the log of dataDir's event store into a table
// (.sst) and flips a byte at a third of it: in a data block of the log
// (id index, log, stream index: in key order), not in the last one.
func corruptTable(t *testing.T, dataDir string) {
	t.Helper()
	dir := filepath.Join(dataDir, "events")
	db, err := pebble.Open(dir, &pebble.Options{FormatMajorVersion: pebble.FormatValueSeparation, Logger: quietPebble{t}})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	tables, err := filepath.Glob(filepath.Join(dir, "*.sst"))
	if err != nil || len(tables) != 1 {
		t.Fatalf("tables in %s: %v (%v), want one", dir, tables, err)
	}
	raw, err := os.ReadFile(tables[0])
	if err != nil {
		t.Fatal(err)
	}
	raw[len(raw)/3] ^= 0x20
	if err := os.WriteFile(tables[0], raw, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestOfflineToolsSayWhyACorruptTableFails: verify and export on a data
// dir with a corrupt table fail with a message on stderr that names the
// corruption, and export leaves no file behind.
func TestOfflineToolsSayWhyACorruptTableFails(t *testing.T) {
	dataDir := t.TempDir()
	s, err := pebblestore.Open(pebblestore.Config{Dir: filepath.Join(dataDir, "events")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 { // enough for several data blocks, the first one corrupted
		stream := fmt.Sprintf("stream-%d", i%10)
		storetest.MustAppend(t, s, stream, events.Any(), storetest.NewEvents(t, stream, 10))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	corruptTable(t, dataDir)
	cases := []struct {
		name string
		args []string
	}{
		{"verify", []string{"verify"}},
		{"export", []string{"export", "--out", "log.ndjson"}},
		{"export binary", []string{"export", "--format", "binary", "--out", "log.bin"}},
		{"events list", []string{"events", "list"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			outDir := t.TempDir()
			if i := slices.Index(tc.args, "--out"); i >= 0 {
				tc.args[i+1] = filepath.Join(outDir, tc.args[i+1])
			}
			tc.args = append(tc.args, "--data-dir", dataDir)
			p := runMain(t, tc.args...)
			if p.code != 1 || !strings.Contains(p.stderr, "hive: ") || !strings.Contains(p.stderr, "corrupt") {
				t.Errorf("hive %s: exit %d, stderr %q; want exit 1 and the reason on stderr", strings.Join(tc.args, " "), p.code, p.stderr)
			}
			if left, err := os.ReadDir(outDir); err != nil || len(left) != 0 {
				t.Errorf("left behind: %v (%v)", left, err)
			}
		})
	}
}
