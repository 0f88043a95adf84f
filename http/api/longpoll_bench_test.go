package api_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sync"
	"testing"
	"time"
)

// idlePolls is how many long polls BenchmarkIdleLongPolls holds open.
const idlePolls = 1000

// BenchmarkIdleLongPolls holds idlePolls long polls of
// GET /v1/agents/{id}/assignments?wait=60s open at once, one per agent, over
// loopback against the real stack, and reports the Go heap they cost
// (server and client sides together, after a GC), the goroutine stacks,
// and the goroutines they hold.
func BenchmarkIdleLongPolls(b *testing.B) {
	s := startStack(b, b.TempDir())
	ids := make([]string, idlePolls)
	for i := range ids {
		r := s.post(b, "/v1/agents", map[string]any{"name": fmt.Sprintf("idle-%04d", i), "capabilities": []string{"code"}})
		if r.status != http.StatusCreated {
			b.Fatalf("register: %d %s", r.status, r.raw)
		}
		ids[i] = r.body["id"].(string)
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: idlePolls}}
	defer client.CloseIdleConnections()
	for b.Loop() {
		heap, stack, goroutines := holdIdlePolls(b, s, client, ids)
		b.ReportMetric(heap/(1<<20), "heap-MiB")
		b.ReportMetric(stack/(1<<20), "stack-MiB")
		b.ReportMetric(heap/idlePolls/(1<<10), "heap-KiB/poll")
		b.ReportMetric(float64(goroutines), "goroutines")
	}
}

// holdIdlePolls opens a long poll for each agent, measures the heap and
// goroutines once all are open, then ends them.
func holdIdlePolls(b *testing.B, s *stack, client *http.Client, ids []string) (heapBytes, stackBytes float64, goroutines int) {
	before := memInUse()
	g0 := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.url+"/v1/agents/"+id+"/assignments?wait=60s", nil)
			req.Header.Set("Authorization", "Bearer "+s.admin)
			resp, err := client.Do(req)
			if err != nil {
				if ctx.Err() == nil {
					b.Errorf("poll: %v", err)
				}
				return
			}
			defer resp.Body.Close()
			_, _ = io.Copy(io.Discard, resp.Body)
			if ctx.Err() == nil {
				b.Errorf("an idle poll answered %d before its wait", resp.StatusCode)
			}
		})
	}
	// Every poll holds a client goroutine, the transport's two and the
	// server's connection goroutine: wait until they all exist and settle.
	settled := 0
	for last := 0; settled < 5; time.Sleep(50 * time.Millisecond) {
		n := runtime.NumGoroutine()
		if n-g0 >= 4*len(ids) && n == last {
			settled++
		} else {
			settled = 0
		}
		last = n
	}
	after := memInUse()
	goroutines = runtime.NumGoroutine() - g0
	cancel()
	wg.Wait()
	return float64(int64(after.HeapAlloc) - int64(before.HeapAlloc)), float64(int64(after.StackInuse) - int64(before.StackInuse)), goroutines
}

func memInUse() runtime.MemStats {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m
}
