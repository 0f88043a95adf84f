package pebblestore

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUnknownFreeSpaceIsLoggedOnce: when the free space of the store's
// disk cannot be read, writes go on unchecked and that is said once, not
// at every commit group; once it can be read again, a new failure is said
// again.
func TestUnknownFreeSpaceIsLoggedOnce(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	d := &disk{dir: filepath.Join(file, "store"), log: slog.New(slog.NewTextHandler(&logged, nil))}
	for range 5 {
		if err := d.room(1); err != nil {
			t.Fatalf("room with the free space unknown: %v, want writes unchecked", err)
		}
	}
	if n := strings.Count(logged.String(), "free space unknown"); n != 1 {
		t.Fatalf("said %d times that the free space is unknown, want once:\n%s", n, logged.String())
	}
	d.dir = t.TempDir()
	if err := d.room(1); err != nil {
		t.Fatal(err)
	}
	d.dir = filepath.Join(file, "store")
	if err := d.room(1); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(logged.String(), "free space unknown"); n != 2 {
		t.Fatalf("said %d times that the free space is unknown, want twice after it was known in between:\n%s", n, logged.String())
	}
}
