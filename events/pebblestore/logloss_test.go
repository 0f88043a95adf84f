package pebblestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"hive/events"
	"hive/events/pebblestore"
	"hive/events/storetest"
)

// walDamage damages a store's newest write-ahead log file, at path.
type walDamage struct {
	name   string
	damage func(t *testing.T, path string)
}

// walDamages are the damages an acknowledged log must never survive
// silently: a flipped byte (in the middle of the file, with valid records
// after it in later blocks, and in its last block, where pebble cannot
// tell it from a torn tail), a truncation, a deletion.
var walDamages = []walDamage{
	{"byte flipped in the middle", func(t *testing.T, path string) { flipByte(t, path, func(n int) int { return n / 2 }) }},
	{"byte flipped in the last block", func(t *testing.T, path string) { flipByte(t, path, func(n int) int { return n - 300 }) }},
	{"truncated to half", func(t *testing.T, path string) {
		fi, err := os.Stat(path)
		if err == nil {
			err = os.Truncate(path, fi.Size()/2)
		}
		if err != nil {
			t.Fatal(err)
		}
	}},
	{"deleted", func(t *testing.T, path string) {
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
	}},
}

// flipByte flips one bit of the byte at offset at(size) of the file.
func flipByte(t *testing.T, path string, at func(size int) int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[at(len(b))] ^= 0x20
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// newestWAL returns the path of the newest write-ahead log file in dir.
func newestWAL(t *testing.T, dir string) string {
	t.Helper()
	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	if err != nil || len(logs) == 0 {
		t.Fatalf("no write-ahead log in %s (%v)", dir, err)
	}
	slices.Sort(logs)
	return logs[len(logs)-1]
}

// ackedStore appends n events, ten an append, to a new store in a new
// directory, closes it cleanly, and returns the directory.
func ackedStore(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	s, err := pebblestore.Open(pebblestore.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n / 10 {
		stream := fmt.Sprintf("stream-%d", i%10)
		storetest.MustAppend(t, s, stream, events.Any(), storetest.NewEvents(t, stream, 10))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestDamagedLogIsRefused damages the newest write-ahead log of a store
// whose appends were all acknowledged, and checks that neither Open nor a
// read-only Verify accepts the shorter log it now holds.
func TestDamagedLogIsRefused(t *testing.T) {
	const acked = 3000
	for _, d := range walDamages {
		t.Run(d.name, func(t *testing.T) {
			dir := ackedStore(t, acked)
			d.damage(t, newestWAL(t, dir))

			s, err := pebblestore.Open(pebblestore.Config{Dir: dir})
			if err == nil {
				head, _ := s.Head(context.Background())
				_ = s.Close()
				t.Fatalf("Open accepted the damaged log: head %d of %d acknowledged", head, acked)
			}
			if !errors.Is(err, pebblestore.ErrLogDamaged) {
				t.Fatalf("Open: %v, want ErrLogDamaged", err)
			}
			t.Logf("Open: %v", err)

			ro, err := pebblestore.OpenReadOnly(pebblestore.Config{Dir: dir})
			if err == nil {
				_, err = ro.Verify(context.Background())
				_ = ro.Close()
			}
			if !errors.Is(err, pebblestore.ErrLogDamaged) {
				t.Fatalf("read-only open and Verify: %v, want ErrLogDamaged", err)
			}
		})
	}
}

// TestAcceptLogLoss opens each damaged log with AcceptLogLoss: the store
// opens on what is left, says what it accepted, verifies, takes appends
// at the next positions, and opens without the option afterwards.
func TestAcceptLogLoss(t *testing.T) {
	const acked = 3000
	for _, d := range walDamages {
		t.Run(d.name, func(t *testing.T) {
			dir := ackedStore(t, acked)
			d.damage(t, newestWAL(t, dir))
			var logged lockedBuffer
			s := openStore(t, pebblestore.Config{Dir: dir, AcceptLogLoss: true,
				Logger: slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelWarn}))})
			head, err := s.Head(context.Background())
			if err != nil || head >= acked || head == 0 {
				t.Fatalf("head %d (%v), want some of the %d events and not all", head, err, acked)
			}
			if !strings.Contains(logged.String(), "accepting the loss of acknowledged events") {
				t.Errorf("the log does not say what was accepted:\n%s", logged.String())
			}
			t.Logf("accepted:\n%s", logged.String())
			if _, err := s.Verify(context.Background()); err != nil {
				t.Fatalf("verify after accepting the loss: %v", err)
			}
			res := storetest.MustAppend(t, s, "after", events.NoStream(), storetest.NewEvents(t, "after", 1))
			if res.LastPosition != head+1 {
				t.Fatalf("the next append is at position %d, want %d", res.LastPosition, head+1)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			openStore(t, pebblestore.Config{Dir: dir})
		})
	}
}

// TestDamagedLogIsKeptAside: accepting a write-ahead log that pebble
// cannot replay keeps the damaged file, whole, in a directory of its own.
func TestDamagedLogIsKeptAside(t *testing.T) {
	dir := ackedStore(t, 3000)
	wal := newestWAL(t, dir)
	flipByte(t, wal, func(n int) int { return n / 2 })
	damaged, err := os.ReadFile(wal)
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, pebblestore.Config{Dir: dir, AcceptLogLoss: true})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	kept, err := filepath.Glob(filepath.Join(dir, "damaged-*", filepath.Base(wal)))
	if err != nil || len(kept) != 1 {
		t.Fatalf("kept aside: %v (%v), want the damaged log", kept, err)
	}
	if raw, err := os.ReadFile(kept[0]); err != nil || !bytes.Equal(raw, damaged) {
		t.Fatalf("the log kept aside is not the damaged one (%v)", err)
	}
}

// TestTornTailBeyondTheMarkOpens: a write-ahead log cut after the last
// position its head mark recorded, as a crash can leave events that were
// never acknowledged, opens without complaint.
func TestTornTailBeyondTheMarkOpens(t *testing.T) {
	dir := ackedStore(t, 1000)
	mark, err := os.ReadFile(filepath.Join(dir, pebblestore.MarkFile))
	if err != nil {
		t.Fatal(err)
	}
	s := openStore(t, pebblestore.Config{Dir: dir})
	for range 200 {
		storetest.MustAppend(t, s, "tail", events.Any(), storetest.NewEvents(t, "tail", 10))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The mark as a crash after the first 1000 events would have left it,
	// and the newest log cut short.
	if err := os.WriteFile(filepath.Join(dir, pebblestore.MarkFile), mark, 0o600); err != nil {
		t.Fatal(err)
	}
	wal := newestWAL(t, dir)
	fi, err := os.Stat(wal)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(wal, fi.Size()-100); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, pebblestore.Config{Dir: dir})
	if head, err := s.Head(context.Background()); err != nil || head < 1000 || head >= 3000 {
		t.Fatalf("head %d (%v), want the 1000 events the mark recorded and not all 3000", head, err)
	}
}

// TestReplacedLogIsRefused: a head mark whose position holds another
// event than the one recorded, as when the store directory was replaced
// by another store's, is refused.
func TestReplacedLogIsRefused(t *testing.T) {
	dir, other := ackedStore(t, 100), ackedStore(t, 200)
	mark, err := os.ReadFile(filepath.Join(dir, pebblestore.MarkFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, pebblestore.MarkFile), mark, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = pebblestore.Open(pebblestore.Config{Dir: other})
	var lost *pebblestore.LogLossError
	if !errors.As(err, &lost) || !lost.Replaced || lost.Recorded.Position != 100 {
		t.Fatalf("Open: %v, want a LogLossError for a replaced log at position 100", err)
	}
}

// lockedBuffer is a buffer safe for concurrent writes, for a logger.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestEvidenceBeyondTheLogIsRefused: a position known from outside the
// store (a read model saved there) beyond the log's end is refused like a
// head mark beyond it, naming that evidence, unless AcceptLogLoss.
func TestEvidenceBeyondTheLogIsRefused(t *testing.T) {
	dir := ackedStore(t, 100)
	evidence := []pebblestore.Evidence{{Position: 90, Source: "a read model"}, {Position: 150, Source: "another read model"}}
	_, err := pebblestore.Open(pebblestore.Config{Dir: dir, Evidence: evidence})
	var lost *pebblestore.LogLossError
	if !errors.As(err, &lost) || lost.Evidence != "another read model" || lost.Missing() != 50 {
		t.Fatalf("Open: %v, want a LogLossError naming another read model, 50 events missing", err)
	}
	s := openStore(t, pebblestore.Config{Dir: dir, Evidence: evidence, AcceptLogLoss: true})
	if head, err := s.Head(context.Background()); err != nil || head != 100 {
		t.Fatalf("head %d (%v), want 100", head, err)
	}
}

// TestStoreWithoutAMarkGetsOne: a store written before the head mark
// existed opens, and is protected from then on.
func TestStoreWithoutAMarkGetsOne(t *testing.T) {
	dir := ackedStore(t, 1000)
	if err := os.Remove(filepath.Join(dir, pebblestore.MarkFile)); err != nil {
		t.Fatal(err)
	}
	s := openStore(t, pebblestore.Config{Dir: dir})
	for range 10 {
		storetest.MustAppend(t, s, "later", events.Any(), storetest.NewEvents(t, "later", 10))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(newestWAL(t, dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := pebblestore.Open(pebblestore.Config{Dir: dir}); !errors.Is(err, pebblestore.ErrLogDamaged) {
		t.Fatalf("Open after the log lost events: %v, want ErrLogDamaged", err)
	}
}
