package projections_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"hive/events"
	"hive/projections"
)

// BenchmarkRunner measures the whole read side of a server: the runner
// following the log and feeding every read model and the deadline index,
// and encoding their live changes, on the history of a busy fleet
// (workload). In "catch-up" the log holds the history when the runner
// starts; in "live" its events are committed one at a time, as fast as
// they can be, while the runner follows, never more than liveLead events
// ahead of the slowest projection (as commands waiting for the read models
// would be). The log is a released slice, so
// that committing costs next to nothing and the figure is the read side's
// alone. events/s is the figure to keep high.
func BenchmarkRunner(b *testing.B) {
	history := workload(b, benchRuns).log
	envs := make([]events.Envelope, len(history))
	for i, env := range history {
		envs[i] = *env
	}
	for _, live := range []bool{false, true} {
		name := "catch-up"
		if live {
			name = "live"
		}
		b.Run(name, func(b *testing.B) {
			cpu := startCPU()
			for b.Loop() {
				log := &releasedLog{all: envs, commits: events.NewSignal(), done: make(chan struct{})}
				if !live {
					log.release(len(envs))
				}
				followLog(b, log, live)
			}
			reportPerEvent(b, cpu, len(envs))
		})
	}
}

// liveLead is the most events the live benchmark commits ahead of the
// slowest projection.
const liveLead = 1024

// followLog runs a runner with the server's projections over log until it
// has applied all of it, releasing its events one at a time first if live.
func followLog(b *testing.B, log *releasedLog, live bool) {
	r, err := projections.NewRunner(log, slog.New(slog.DiscardHandler), prometheus.NewRegistry(), serverProjections()...)
	if err != nil {
		b.Fatal(err)
	}
	r.With(projections.Options{Changes: discard{}, ChangesTopic: "changes"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
		close(log.done)
	}()
	for r.Ready() != nil {
		if err := r.WaitFor(ctx, log.head.Load()); err != nil {
			b.Fatal(err)
		}
	}
	if live {
		for i := range len(log.all) {
			log.release(1)
			if lead := i + 1 - liveLead; lead > 0 && i%64 == 0 {
				if err := r.WaitFor(ctx, uint64(lead)); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	if err := r.WaitFor(ctx, uint64(len(log.all))); err != nil {
		b.Fatal(err)
	}
}

// releasedLog is a log of events known in advance, of which the first
// head are committed.
type releasedLog struct {
	all     []events.Envelope
	head    atomic.Uint64
	commits *events.Signal
	done    chan struct{}
}

// release commits the next n events.
func (l *releasedLog) release(n int) {
	l.head.Add(uint64(n))
	l.commits.Broadcast()
}

func (l *releasedLog) ReadAll(_ context.Context, after uint64, limit int) ([]events.Envelope, error) {
	head := l.head.Load()
	if after >= head {
		return nil, nil
	}
	return append([]events.Envelope(nil), l.all[after:min(head, after+uint64(limit))]...), nil
}

func (l *releasedLog) SubscribeAll(_ context.Context, after uint64) (events.Subscription, error) {
	return events.NewSubscription(l, l.commits, l.done, after, 1000), nil
}

func (l *releasedLog) Head(context.Context) (uint64, error) { return l.head.Load(), nil }

// discard is a publisher that drops every message.
type discard struct{}

func (discard) Publish(string, ...*message.Message) error { return nil }
func (discard) Close() error                              { return nil }
