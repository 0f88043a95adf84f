package pebblestore_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hive/events"
	"hive/events/pebblestore"
	"hive/events/storetest"
)

// smallDisk is the size of the tmpfs the full-disk tests fill.
const smallDisk = 24 << 20

// openPatience is how long a start on a full disk may take to fail.
const openPatience = 10 * time.Second

// closePatience is how long closing a store on a full disk may take.
const closePatience = 20 * time.Second

// skipShort skips the full-disk tests that fill a disk with appends.
func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("fills a disk with appends; skipped with -short")
	}
}

// smallStore is the configuration of the full-disk tests: 1 MiB memtables,
// so that pebble flushes on the small disk, and 2 MiB kept free.
func smallStore(dir string) pebblestore.Config {
	return pebblestore.Config{Dir: filepath.Join(dir, "events"), MemTableSize: 1 << 20, MinFreeBytes: 2 << 20}
}

// bulky returns n events of stream with 16 KiB of random payload each.
func bulky(t testing.TB, stream string, n int) []events.Event {
	t.Helper()
	evs := storetest.NewEvents(t, stream, n)
	for i := range evs {
		evs[i].Payload = make([]byte, 16<<10)
		_, _ = rand.Read(evs[i].Payload)
	}
	return evs
}

// fillBatch is how many bulky events fillWithAppends appends at a time.
const fillBatch = 16

// fillWithAppends appends bulky events to streams of its own until an
// append fails or takes longer than patience, and returns the events
// acknowledged and that error.
func fillWithAppends(t *testing.T, s *pebblestore.Store, patience time.Duration) (int, error) {
	t.Helper()
	for n := 0; ; n++ {
		stream := fmt.Sprintf("bulk-%d", n)
		ctx, cancel := context.WithTimeout(context.Background(), patience)
		_, err := s.Append(ctx, stream, events.NoStream(), bulky(t, stream, fillBatch))
		cancel()
		if err != nil {
			return fillBatch * n, err
		}
		if n > 10_000 {
			t.Fatal("the disk never filled up")
		}
	}
}

// checkEvents checks that s holds want events, positions dense from 1.
func checkEvents(t *testing.T, s *pebblestore.Store, want int) {
	t.Helper()
	all := readAll(t, s)
	if len(all) != want {
		t.Fatalf("the store holds %d events, want %d", len(all), want)
	}
	for i, e := range all {
		if e.Position != uint64(i+1) {
			t.Fatalf("event %d at position %d", i, e.Position)
		}
	}
}

// TestFullDiskRefusesAppendsKeepsReadsAndRecovers: another program fills
// the disk. Appends and snapshot saves are refused with events.ErrNoSpace
// before pebble is asked to write, reads go on, and once space is freed
// appends work again; nothing acknowledged is lost.
func TestFullDiskRefusesAppendsKeepsReadsAndRecovers(t *testing.T) {
	dir := storetest.SmallDisk(t, smallDisk)
	cfg := smallStore(dir)
	s := openStore(t, cfg)
	storetest.MustAppend(t, s, "order-1", events.NoStream(), storetest.NewEvents(t, "order-1", 10))

	free := storetest.FillDisk(t, dir)
	ctx := context.Background()
	if _, err := s.Append(ctx, "order-2", events.NoStream(), storetest.NewEvents(t, "order-2", 1)); !errors.Is(err, events.ErrNoSpace) {
		t.Fatalf("append on a full disk: %v, want ErrNoSpace", err)
	}
	snap := events.Snapshot{Stream: "order-1", Version: 10, Type: "test.Snapshot", SchemaVersion: 1, Payload: []byte("state")}
	if err := s.SaveSnapshot(ctx, snap); !errors.Is(err, events.ErrNoSpace) {
		t.Errorf("snapshot save on a full disk: %v, want ErrNoSpace", err)
	}
	if got := readStream(t, s, "order-1"); len(got) != 10 {
		t.Errorf("order-1 on a full disk: %d events, want 10", len(got))
	}
	checkEvents(t, s, 10)

	free()
	storetest.MustAppend(t, s, "order-2", events.NoStream(), storetest.NewEvents(t, "order-2", 1))
	if err := s.SaveSnapshot(ctx, snap); err != nil {
		t.Errorf("snapshot save once space is back: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	checkEvents(t, openStore(t, cfg), 11)
}

// TestAppendsStopBeforeTheDiskIsFull: the store's own appends fill the
// disk. They are refused with events.ErrNoSpace while MinFreeBytes are
// still free, so that pebble never runs out of space, and the store opens
// again on that disk with every acknowledged event.
func TestAppendsStopBeforeTheDiskIsFull(t *testing.T) {
	skipShort(t)
	dir := storetest.SmallDisk(t, smallDisk)
	cfg := smallStore(dir)
	s := openStore(t, cfg)
	acked, err := fillWithAppends(t, s, time.Minute)
	if !errors.Is(err, events.ErrNoSpace) {
		t.Fatalf("append on a filling disk: %v, want ErrNoSpace", err)
	}
	if !strings.Contains(err.Error(), "free") {
		t.Errorf("the refusal %q does not say how much space is free", err)
	}
	checkEvents(t, s, acked)
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	checkEvents(t, openStore(t, cfg), acked)
}

// TestCommitFailingOnAFullDiskKeepsTheStoreUp: with no space kept free,
// pebble itself runs out of space writing its log (its memtable is larger
// than the disk, so it never flushes). The append is refused with
// events.ErrNoSpace, and so is every later one (pebble cannot write again
// until it is reopened), but the process goes on, reads work, and after a
// reopen with space freed nothing acknowledged is lost.
func TestCommitFailingOnAFullDiskKeepsTheStoreUp(t *testing.T) {
	skipShort(t)
	dir := storetest.SmallDisk(t, smallDisk)
	cfg := smallStore(dir)
	cfg.MinFreeBytes, cfg.MemTableSize = -1, 64<<20
	s := openStore(t, cfg)
	acked, err := fillWithAppends(t, s, time.Minute)
	if !errors.Is(err, events.ErrNoSpace) {
		t.Fatalf("append when pebble runs out of space: %v, want ErrNoSpace", err)
	}
	checkEvents(t, s, acked)
	if _, err := s.Append(context.Background(), "later", events.NoStream(), storetest.NewEvents(t, "later", 1)); !errors.Is(err, events.ErrNoSpace) {
		t.Errorf("append after the failed commit: %v, want ErrNoSpace", err)
	}
	if err := s.Close(); err != nil {
		t.Logf("close after the failed commit: %v", err)
	}
	reopenWithSpace(t, dir, cfg, acked)
}

// TestCloseReturnsWhilePebbleWaitsForSpace: with no space kept free and
// small memtables, pebble runs out of space flushing one, and a commit
// may then wait inside pebble for space that does not come. Close still
// returns in bounded time (a stopping server must not hang), and after a
// reopen with space freed nothing acknowledged is lost.
func TestCloseReturnsWhilePebbleWaitsForSpace(t *testing.T) {
	skipShort(t)
	dir := storetest.SmallDisk(t, smallDisk)
	cfg := smallStore(dir)
	cfg.MinFreeBytes = -1
	s := openStore(t, cfg)
	acked, err := fillWithAppends(t, s, 3*time.Second)
	if !errors.Is(err, events.ErrNoSpace) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("append when pebble runs out of space: %v, want ErrNoSpace or a timeout", err)
	}
	closed := make(chan error, 1)
	start := time.Now()
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		t.Logf("close after %v (%v): %v", time.Since(start), err, acked)
	case <-time.After(closePatience):
		t.Fatalf("close still running after %v", closePatience)
	}
	reopenWithSpace(t, dir, cfg, acked)
}

// reopenWithSpace checks that the store on the full disk at dir refuses to
// open with events.ErrNoSpace, then makes the disk four times larger and reopens the
// store, waiting for the last one to let go of the directory: it holds at
// least the acked events, positions dense from 1.
func reopenWithSpace(t *testing.T, dir string, cfg pebblestore.Config, acked int) {
	t.Helper()
	storetest.FillDisk(t, dir) // whatever space the close left
	if _, err := pebblestore.Open(cfg); !errors.Is(err, events.ErrNoSpace) {
		t.Fatalf("reopen on the full disk: %v, want ErrNoSpace", err)
	}
	storetest.GrowDisk(t, dir, 4*smallDisk)
	var r *pebblestore.Store
	deadline := time.Now().Add(closePatience)
	for {
		var err error
		if r, err = pebblestore.Open(cfg); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("reopen with space freed: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Cleanup(func() { _ = r.Close() })
	all := readAll(t, r)
	if len(all) < acked {
		t.Fatalf("after reopening: %d events, want at least the %d acknowledged", len(all), acked)
	}
	for i, e := range all {
		if e.Position != uint64(i+1) {
			t.Fatalf("event %d at position %d", i, e.Position)
		}
	}
}

// TestOpenOnAFullDiskFailsFast: a store whose log pebble must write into
// tables on open, on a disk with no space left, fails to open at once with
// events.ErrNoSpace and a message saying how much space it needs; once
// space is freed it opens with every event.
func TestOpenOnAFullDiskFailsFast(t *testing.T) {
	dir := storetest.SmallDisk(t, smallDisk)
	cfg := smallStore(dir)
	cfg.MemTableSize = 16 << 20 // the events stay in the log until the next open
	s := openStore(t, cfg)
	storetest.MustAppend(t, s, "order-1", events.NoStream(), bulky(t, "order-1", 64))
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	free := storetest.FillDisk(t, dir)
	opened := make(chan error, 1)
	go func() {
		quiet := cfg
		quiet.Logger = slog.New(slog.DiscardHandler) // this goroutine may outlive the test
		s, err := pebblestore.Open(quiet)
		if err == nil {
			err = errors.Join(errors.New("opened"), s.Close())
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		if !errors.Is(err, events.ErrNoSpace) {
			t.Fatalf("open on a full disk: %v, want ErrNoSpace", err)
		}
		if !strings.Contains(err.Error(), "free") {
			t.Errorf("the refusal %q does not say how much space is free", err)
		}
	case <-time.After(openPatience):
		t.Fatalf("open on a full disk still running after %v", openPatience)
	}
	free()
	checkEvents(t, openStore(t, cfg), 64)
}
