package actors_test

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hive/actors"
	"hive/actors/agent"
	"hive/events/pebblestore"
)

const scaleAgents = 100_000

// BenchmarkAgents100k registers 100,000 agents on the embedded store and
// keeps every agent's actor in memory, then reports the Go heap in use after
// a GC: the actors, their states, the runtime and the store's Go memory.
func BenchmarkAgents100k(b *testing.B) {
	for range b.N {
		b.StopTimer()
		store, err := pebblestore.Open(pebblestore.Config{Dir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		sys, err := actors.New(actors.Config{}, store, []actors.Kind{agentKind}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
		if err != nil {
			b.Fatal(err)
		}
		before := heapInUse()
		b.StartTimer()
		start := time.Now()
		registerMany(b, sys, scaleAgents, 64)
		elapsed := time.Since(start)
		b.StopTimer()
		after := heapInUse()
		b.ReportMetric(float64(after)/(1<<20), "heap-MiB")
		b.ReportMetric(float64(after-before)/scaleAgents, "heap-B/agent")
		b.ReportMetric(scaleAgents/elapsed.Seconds(), "registrations/s")
		sys.Shutdown()
		if err := store.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// registerMany registers agents "agent-0" … from workers goroutines.
func registerMany(b *testing.B, sys *actors.System, n, workers int) {
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				name := fmt.Sprint("agent-", i)
				_, err := sys.Ask(context.Background(), actors.Ref{Kind: agent.Kind, ID: agent.IDFor(name)}, actors.Command{
					ID: name, Principal: "bench", Body: agent.Register{Name: name, Capabilities: []string{"code", "review"}, MaxConcurrency: 2,
						At: time.Now(), HeartbeatTimeout: time.Minute},
				})
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
