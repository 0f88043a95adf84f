package projections_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hive/events/memstore"
	"hive/projections"
)

// fullStates is a StateStore whose saves fail, as on a full disk, while
// full is set.
type fullStates struct {
	full    atomic.Bool
	refused atomic.Int32
	saved   atomic.Int32
}

func (s *fullStates) Load(name string) ([]byte, error) {
	return nil, fmt.Errorf("%w: %s", projections.ErrNoState, name)
}

func (s *fullStates) Save(string, []byte) error {
	if s.full.Load() {
		s.refused.Add(1)
		return errors.New("no space left on device")
	}
	s.saved.Add(1)
	return nil
}

// messages is a slog.Handler counting the records logged, by message.
type messages struct {
	mu    sync.Mutex
	count map[string]int
}

func (m *messages) Enabled(context.Context, slog.Level) bool { return true }
func (m *messages) WithAttrs([]slog.Attr) slog.Handler       { return m }
func (m *messages) WithGroup(string) slog.Handler            { return m }
func (m *messages) Handle(_ context.Context, r slog.Record) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.count[r.Message]++
	return nil
}

func (m *messages) of(msg string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.count[msg]
}

// eventually polls cond until it holds, failing after 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 5 s", what)
		}
	}
}

// TestFailingSavesAreLoggedOnce: while a projection's state cannot be
// saved (a full disk), the runner retries every save interval but logs
// the failure once, and says when a save works again.
func TestFailingSavesAreLoggedOnce(t *testing.T) {
	store := memstore.New(0)
	states := &fullStates{}
	states.full.Store(true)
	logs := &messages{count: map[string]int{}}
	r, err := projections.NewRunner(store, slog.New(logs), prometheus.NewRegistry(), &recorder{})
	if err != nil {
		t.Fatal(err)
	}
	r.With(projections.Options{States: states, SaveInterval: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v", err)
		}
	}()
	if err := r.WaitFor(waitCtx(t), appendRegistered(t, store, "one").LastPosition); err != nil {
		t.Fatal(err)
	}
	eventually(t, "five refused saves", func() bool { return states.refused.Load() >= 5 })
	if n := logs.of("save projection state"); n != 1 {
		t.Errorf("five failed saves logged %d times, want once", n)
	}
	states.full.Store(false)
	eventually(t, "a save", func() bool { return states.saved.Load() > 0 })
	eventually(t, "the recovery logged", func() bool { return logs.of("projection state saved again") == 1 })
}
