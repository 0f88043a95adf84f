package actors

import (
	"runtime"
	"sync"
	"testing"
	"time"
)

func TestDispatcherRunsEveryRunAndKeepsItsWorkers(t *testing.T) {
	before := runtime.NumGoroutine()
	d := newDispatcher()
	var wg sync.WaitGroup
	release := make(chan struct{})
	// More runs at once than it keeps idle workers: each has a worker.
	for range maxIdleWorkers + 10 {
		wg.Add(1)
		d.Schedule(func() { <-release; wg.Done() })
	}
	close(release)
	wg.Wait()
	waitFor(t, func() bool { return d.idle.Load() == maxIdleWorkers }, "the finished workers to wait, no more than maxIdleWorkers")
	// A later run goes to a waiting worker: no goroutine is started.
	wg.Add(1)
	d.Schedule(wg.Done)
	wg.Wait()
	waitFor(t, func() bool { return d.idle.Load() == maxIdleWorkers }, "the worker to wait again")
	d.stop()
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before }, "every worker to return after stop")
	// A run scheduled after stop still runs.
	ran := make(chan struct{})
	d.Schedule(func() { close(ran) })
	<-ran
	waitFor(t, func() bool { return runtime.NumGoroutine() <= before }, "its worker to return")
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 5 s for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
