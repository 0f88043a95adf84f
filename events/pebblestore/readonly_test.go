package pebblestore_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"hive/events"
	"hive/events/pebblestore"
	"hive/events/storetest"
)

// writeStore fills a store in a fresh directory with two streams, closes
// it and returns the directory and the events.
func writeStore(t *testing.T) (string, []events.Envelope) {
	t.Helper()
	dir := t.TempDir()
	s := openStore(t, pebblestore.Config{Dir: dir})
	storetest.MustAppend(t, s, "order-1", events.NoStream(), storetest.NewEvents(t, "order-1", 3))
	storetest.MustAppend(t, s, "order-2", events.NoStream(), storetest.NewEvents(t, "order-2", 2))
	all := readAll(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	return dir, all
}

// fingerprint maps every file under dir but the lock to its SHA-256.
func fingerprint(t *testing.T, dir string) map[string][sha256.Size]byte {
	t.Helper()
	out := map[string][sha256.Size]byte{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "LOCK" {
			return err
		}
		raw, err := os.ReadFile(path)
		out[path] = sha256.Sum256(raw)
		return err
	})
	if err != nil {
		t.Fatalf("walk %s: %v", dir, err)
	}
	return out
}

func TestReadOnlyReadsWithoutWriting(t *testing.T) {
	dir, want := writeStore(t)
	before := fingerprint(t, dir)
	s, err := pebblestore.OpenReadOnly(pebblestore.Config{Dir: dir})
	if err != nil {
		t.Fatalf("open read-only: %v", err)
	}
	got := readAll(t, s)
	if len(got) != len(want) {
		t.Fatalf("read-only store has %d events, want %d", len(got), len(want))
	}
	for i := range want {
		if !sameEnvelope(got[i], want[i]) {
			t.Errorf("event %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if err := events.VerifyChain(readStream(t, s, "order-1")); err != nil {
		t.Errorf("hash chain read-only: %v", err)
	}
	if h, err := s.Head(context.Background()); err != nil || h != 5 {
		t.Errorf("Head = %d, %v; want 5", h, err)
	}
	_, err = s.Append(context.Background(), "order-3", events.NoStream(), storetest.NewEvents(t, "order-3", 1))
	if !errors.Is(err, pebblestore.ErrReadOnly) {
		t.Errorf("Append on a read-only store: %v, want ErrReadOnly", err)
	}
	err = s.SaveSnapshot(context.Background(), events.Snapshot{Stream: "order-1", Version: 1, Type: "t", Payload: []byte{1}})
	if !errors.Is(err, pebblestore.ErrReadOnly) {
		t.Errorf("SaveSnapshot on a read-only store: %v, want ErrReadOnly", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	after := fingerprint(t, dir)
	if len(after) != len(before) {
		t.Errorf("read-only open changed the files: %d before, %d after", len(before), len(after))
	}
	for path, sum := range before {
		if after[path] != sum {
			t.Errorf("read-only open changed %s", path)
		}
	}
	reopened := openStore(t, pebblestore.Config{Dir: dir})
	if got := readAll(t, reopened); len(got) != len(want) {
		t.Errorf("writable reopen after read-only has %d events, want %d", len(got), len(want))
	}
}

func TestReadOnlyRefusals(t *testing.T) {
	held, _ := writeStore(t)
	openStore(t, pebblestore.Config{Dir: held}) // a "server" holding it
	cases := []struct {
		name string
		dir  string
		want error
	}{
		{name: "held by an open store", dir: held, want: pebblestore.ErrInUse},
		{name: "missing directory", dir: filepath.Join(t.TempDir(), "nothing"), want: pebblestore.ErrNoStore},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := pebblestore.OpenReadOnly(pebblestore.Config{Dir: tc.dir})
			if err == nil {
				_ = s.Close()
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("OpenReadOnly(%s) = %v, want %v", tc.dir, err, tc.want)
			}
		})
	}
}

func TestReadOnlyHoldsTheLock(t *testing.T) {
	dir, _ := writeStore(t)
	s, err := pebblestore.OpenReadOnly(pebblestore.Config{Dir: dir})
	if err != nil {
		t.Fatalf("open read-only: %v", err)
	}
	defer s.Close()
	if w, err := pebblestore.Open(pebblestore.Config{Dir: dir}); err == nil {
		_ = w.Close()
		t.Fatal("a writable store opened a directory held read-only")
	}
}
