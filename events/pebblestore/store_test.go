package pebblestore_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"hive/events"
	"hive/events/pebblestore"
	"hive/events/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, maxEventSize int) events.Store {
		return openStore(t, pebblestore.Config{Dir: t.TempDir(), MaxEventSize: maxEventSize})
	})
}

// openStore opens a store with cfg, logging to t, and closes it at the end
// of the test.
func openStore(t testing.TB, cfg pebblestore.Config) *pebblestore.Store {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	s, err := pebblestore.Open(cfg)
	if err != nil {
		t.Fatalf("open %s: %v", cfg.Dir, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testWriter sends log lines to t.Log, so that they show only for failing
// tests and never on stderr.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// readAll returns every event of s in position order.
func readAll(t testing.TB, s events.Store) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	var after uint64
	for {
		page, err := s.ReadAll(context.Background(), after, events.MaxReadLimit)
		if err != nil {
			t.Fatalf("read all after %d: %v", after, err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		after = page[len(page)-1].Position
	}
}

func readStream(t testing.TB, s events.Store, stream string) []events.Envelope {
	t.Helper()
	got, err := s.ReadStream(context.Background(), stream, 1, events.Forward, events.MaxReadLimit)
	if err != nil {
		t.Fatalf("read stream %s: %v", stream, err)
	}
	return got
}

func TestReopenKeepsEverything(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, pebblestore.Config{Dir: dir})
	first := storetest.NewEvents(t, "order-1", 3)
	res1 := storetest.MustAppend(t, s, "order-1", events.NoStream(), first)
	storetest.MustAppend(t, s, "order-2", events.NoStream(), storetest.NewEvents(t, "order-2", 2))
	before := readAll(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	s = openStore(t, pebblestore.Config{Dir: dir})
	after := readAll(t, s)
	if len(after) != len(before) {
		t.Fatalf("reopened store has %d events, want %d", len(after), len(before))
	}
	for i := range before {
		if !sameEnvelope(after[i], before[i]) {
			t.Errorf("event %d after reopen = %+v, want %+v", i, after[i], before[i])
		}
	}
	if h, err := s.Head(context.Background()); err != nil || h != 5 {
		t.Errorf("Head after reopen = %d, %v; want 5", h, err)
	}

	again, err := s.Append(context.Background(), "order-1", events.Any(), first)
	if err != nil || again != res1 {
		t.Errorf("repeating a pre-reopen append = %+v, %v; want the original %+v", again, err, res1)
	}
	res := storetest.MustAppend(t, s, "order-1", events.Exact(3), storetest.NewEvents(t, "order-1", 2))
	if res.LastVersion != 5 || res.LastPosition != 7 {
		t.Errorf("append after reopen = %+v, want version 5 at position 7", res)
	}
	if _, err := s.Append(context.Background(), "order-2", events.NoStream(), storetest.NewEvents(t, "order-2", 1)); !errors.Is(err, events.ErrWrongExpectedVersion) {
		t.Errorf("NoStream on a stream from before the reopen: %v, want ErrWrongExpectedVersion", err)
	}
	chain := readStream(t, s, "order-1")
	if len(chain) != 5 {
		t.Fatalf("order-1 has %d events, want 5", len(chain))
	}
	if err := events.VerifyChain(chain); err != nil {
		t.Errorf("hash chain across the reopen: %v", err)
	}
}

func sameEnvelope(a, b events.Envelope) bool {
	return a.ID == b.ID && a.Stream == b.Stream && a.Version == b.Version && a.Position == b.Position &&
		a.Type == b.Type && a.RecordedAt.Equal(b.RecordedAt) && a.SchemaVersion == b.SchemaVersion &&
		string(a.Payload) == string(b.Payload) && a.Metadata == b.Metadata && a.Hash == b.Hash
}

func TestPositionsAreDense(t *testing.T) {
	s := openStore(t, pebblestore.Config{Dir: t.TempDir()})
	for i := range 5 {
		storetest.MustAppend(t, s, fmt.Sprintf("s-%d", i%2), events.Any(), storetest.NewEvents(t, "s", 1+i))
	}
	for i, e := range readAll(t, s) {
		if e.Position != uint64(i+1) {
			t.Fatalf("event %d at position %d, want %d", i, e.Position, i+1)
		}
	}
}

func TestAppendRefusesWhatProtobufCannotStore(t *testing.T) {
	s := openStore(t, pebblestore.Config{Dir: t.TempDir()})
	tests := []struct {
		name   string
		change func(e *events.Event)
	}{
		{"non-UTF-8 type", func(e *events.Event) { e.Type = "t\xff" }},
		{"non-UTF-8 principal", func(e *events.Event) { e.Principal = "bad\xff" }},
		{"recorded before 1678", func(e *events.Event) { e.RecordedAt = time.Date(1600, 1, 1, 0, 0, 0, 0, time.UTC) }},
		{"recorded after 2262", func(e *events.Event) { e.RecordedAt = time.Date(2300, 1, 1, 0, 0, 0, 0, time.UTC) }},
	}
	for _, tc := range tests {
		evs := storetest.NewEvents(t, "enc", 1)
		tc.change(&evs[0])
		if _, err := s.Append(context.Background(), "enc", events.Any(), evs); !errors.Is(err, events.ErrInvalidArgument) {
			t.Errorf("%s: err = %v, want ErrInvalidArgument", tc.name, err)
		}
	}
}

func TestAppendBiggerThanABatchIsRefused(t *testing.T) {
	s := openStore(t, pebblestore.Config{Dir: t.TempDir(), MaxEventSize: 1 << 10, MaxBatchBytes: 16 << 10})
	evs := storetest.NewEvents(t, "big", 40)
	for i := range evs {
		evs[i].Payload = make([]byte, 900)
	}
	if _, err := s.Append(context.Background(), "big", events.Any(), evs); !errors.Is(err, events.ErrInvalidArgument) {
		t.Errorf("append over MaxBatchBytes = %v, want ErrInvalidArgument", err)
	}
	storetest.MustAppend(t, s, "big", events.NoStream(), evs[:10])
}

func TestClosedStore(t *testing.T) {
	s := openStore(t, pebblestore.Config{Dir: t.TempDir()})
	storetest.MustAppend(t, s, "a", events.NoStream(), storetest.NewEvents(t, "a", 1))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
	ctx := context.Background()
	calls := map[string]error{}
	_, calls["Append"] = s.Append(ctx, "a", events.Any(), storetest.NewEvents(t, "a", 1))
	_, calls["ReadStream"] = s.ReadStream(ctx, "a", 1, events.Forward, 10)
	_, calls["ReadAll"] = s.ReadAll(ctx, 0, 10)
	_, calls["Head"] = s.Head(ctx)
	_, calls["SubscribeAll"] = s.SubscribeAll(ctx, 0)
	for name, err := range calls {
		if !errors.Is(err, events.ErrClosed) {
			t.Errorf("%s after Close = %v, want ErrClosed", name, err)
		}
	}
}

// TestCloseWhileAppending closes the store under concurrent appends and
// readers: every call either succeeds or fails with ErrClosed, and nothing
// panics or hangs.
func TestCloseWhileAppending(t *testing.T) {
	s := openStore(t, pebblestore.Config{Dir: t.TempDir()})
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("w-%d", w)
			for {
				_, err := s.Append(context.Background(), stream, events.Any(), storetest.NewEvents(t, stream, 2))
				_, rerr := s.ReadStream(context.Background(), stream, 1, events.Forward, 10)
				if errors.Is(err, events.ErrClosed) {
					return
				}
				if err != nil || (rerr != nil && !errors.Is(rerr, events.ErrClosed)) {
					t.Errorf("append: %v; read: %v", err, rerr)
					return
				}
			}
		}()
	}
	storetest.MustAppend(t, s, "w-0", events.Any(), storetest.NewEvents(t, "w-0", 1))
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	wg.Wait()
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  pebblestore.Config
		want []string
	}{
		{"missing dir", pebblestore.Config{}, []string{"Dir is empty"}},
		{"negatives", pebblestore.Config{Dir: "x", MaxEventSize: -1, MaxBatchEvents: -1, StreamCacheSize: -1, CacheSize: -1},
			[]string{"MaxEventSize", "MaxBatchEvents", "StreamCacheSize", "CacheSize"}},
		{"batch smaller than an event", pebblestore.Config{Dir: "x", MaxEventSize: 1 << 20, MaxBatchBytes: 1 << 10}, []string{"cannot hold one event"}},
		{"batch over the limit", pebblestore.Config{Dir: "x", MaxBatchBytes: 2 << 30}, []string{"MaxBatchBytes", "over the limit"}},
		{"commit delay over the limit", pebblestore.Config{Dir: "x", MaxCommitDelay: time.Second}, []string{"MaxCommitDelay", "over the limit"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := pebblestore.Open(tc.cfg)
			if err == nil {
				t.Fatal("Open succeeded, want a config error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// TestCloseLeavesNoGoroutines checks that Close stops everything Open and
// the store's use started: the writer, the committer and pebble's own.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	before := runtime.NumGoroutine()
	s := openStore(t, pebblestore.Config{Dir: t.TempDir()})
	storetest.MustAppend(t, s, "g", events.NoStream(), storetest.NewEvents(t, "g", 3))
	sub, err := s.SubscribeAll(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Close, %d before Open:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestLargeAppendsAndReopen appends more events per call than a group
// holds, across memtable flushes, and checks that a reopened store has
// them all in order.
func TestLargeAppendsAndReopen(t *testing.T) {
	dir := t.TempDir()
	cfg := pebblestore.Config{Dir: dir, MaxBatchEvents: 100, MemTableSize: 1 << 20}
	s := openStore(t, cfg)
	const appends, perAppend = 20, 500
	for i := range appends {
		storetest.MustAppend(t, s, fmt.Sprintf("big-%d", i%3), events.Any(), storetest.NewEvents(t, "big", perAppend))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, cfg)
	all := readAll(t, s)
	if len(all) != appends*perAppend {
		t.Fatalf("reopened store has %d events, want %d", len(all), appends*perAppend)
	}
	for i, e := range all {
		if e.Position != uint64(i+1) {
			t.Fatalf("event %d at position %d", i, e.Position)
		}
	}
	for i := range 3 {
		checkChain(t, s, fmt.Sprintf("big-%d", i))
	}
}
