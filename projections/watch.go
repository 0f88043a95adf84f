package projections

import (
	"sync"
	"sync/atomic"
)

// watches are the callers waiting for the next change of something a read
// model keeps, by its key (a run's id, a task's id): each watch is a
// channel that the next change of its key closes. The zero value has no
// watches. It is safe for concurrent use; a read model wakes from the
// goroutine that applies, after it changed its state, so that a woken
// caller reads the change.
type watches struct {
	n     atomic.Int64 // watches registered, read without the lock
	mu    sync.Mutex
	byKey map[string]map[chan struct{}]struct{}
}

// watch returns a channel closed at key's next change, and stop, which
// forgets the watch; call stop when done waiting, woken or not. Each watch
// costs one channel until it is woken or stopped.
func (w *watches) watch(key string) (wake <-chan struct{}, stop func()) {
	ch := make(chan struct{})
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.byKey == nil {
		w.byKey = map[string]map[chan struct{}]struct{}{}
	}
	set := w.byKey[key]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		w.byKey[key] = set
	}
	set[ch] = struct{}{}
	w.n.Add(1)
	return ch, func() { w.forget(key, ch) }
}

// forget removes the watch ch of key, if it was not woken yet.
func (w *watches) forget(key string, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	set := w.byKey[key]
	if _, ok := set[ch]; !ok {
		return
	}
	delete(set, ch)
	w.n.Add(-1)
	if len(set) == 0 {
		delete(w.byKey, key)
	}
}

// wake closes, and forgets, every watch of key. With no watches at all it
// costs one atomic load.
func (w *watches) wake(key string) {
	if w.n.Load() == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	set := w.byKey[key]
	for ch := range set {
		close(ch)
	}
	w.n.Add(-int64(len(set)))
	delete(w.byKey, key)
}
