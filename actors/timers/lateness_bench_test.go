package timers_test

import (
	"context"
	"log/slog"
	"slices"
	"testing"
	"time"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/timers"
	hivev1 "hive/proto/hive/v1"
)

// waker is a Commands that says when it is asked.
type waker struct{ asked chan time.Time }

func (w waker) Ask(context.Context, actors.Ref, actors.Command) (actors.Result, error) {
	w.asked <- time.Now()
	return actors.Result{}, nil
}

// BenchmarkLateness measures how late an idle watcher wakes an entity
// after its deadline: each iteration sets a deadline 20 ms ahead and waits
// for the wake-up. It reports the lateness's median and 99th percentile.
func BenchmarkLateness(b *testing.B) {
	ix := timers.NewIndex(agentKind())
	wk := waker{asked: make(chan time.Time, 1)}
	w, err := timers.NewWatcher(timers.Config{}, ix, wk, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- w.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()
	a := agent.IDFor("a")
	late := make([]time.Duration, 0, b.N)
	for i := 0; b.Loop(); i++ {
		deadline := time.Now().Add(20 * time.Millisecond)
		env := envelope(b, "agent-"+a, uint64(i+1), &hivev1.AgentHeartbeatExtended{AgentId: a, DeadlineUnixNano: deadline.UnixNano()})
		if err := ix.Apply(env); err != nil {
			b.Fatal(err)
		}
		late = append(late, (<-wk.asked).Sub(deadline))
	}
	slices.Sort(late)
	b.ReportMetric(ms(late[len(late)/2]), "ms-late-p50")
	b.ReportMetric(ms(late[len(late)*99/100]), "ms-late-p99")
	b.ReportMetric(ms(late[len(late)-1]), "ms-late-max")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
