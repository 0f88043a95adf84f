package projections

import (
	"sync"
	"sync/atomic"
)

// waiters are the callers of Runner.WaitFor, each waiting for the read
// models to reach a position. The runner wakes exactly those a new
// checkpoint satisfies, so that a busy server with many callers waiting
// does not wake them all for every event.
type waiters struct {
	mu    sync.Mutex
	n     atomic.Int64 // len(list), read without the lock
	list  []waiter
	spare []waiter
}

type waiter struct {
	pos  uint64
	wake chan struct{}
}

// add registers a wait for pos and returns the channel closed once a
// release reaches it.
func (w *waiters) add(pos uint64) <-chan struct{} {
	ch := make(chan struct{})
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, waiter{pos: pos, wake: ch})
	w.n.Store(int64(len(w.list)))
	return ch
}

// remove forgets a wait that ended otherwise (its context ended).
func (w *waiters) remove(ch <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i := range w.list {
		if w.list[i].wake == ch {
			w.list = append(w.list[:i], w.list[i+1:]...)
			break
		}
	}
	w.n.Store(int64(len(w.list)))
}

// release wakes the waits for positions up to reached; all of them if
// everything is true (a projection failed: they must look again).
func (w *waiters) release(reached uint64, everything bool) {
	if w.n.Load() == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	keep := w.spare[:0]
	for _, wt := range w.list {
		if everything || wt.pos <= reached {
			close(wt.wake)
			continue
		}
		keep = append(keep, wt)
	}
	w.spare = w.list[:0]
	w.list = keep
	w.n.Store(int64(len(w.list)))
}
