package swarm

// Memory of finished work, bounded so that a swarm's state does not grow
// with its history.
const (
	// RecentTasks is how many finished tasks a swarm remembers, with their
	// keys and outcomes, to recognize submissions and results delivered
	// again. Routers re-send at most a page of the log (1,000 events) after
	// a crash, far fewer than this many tasks.
	RecentTasks = 10_000
	// RecentProposals is how many decided proposals a swarm remembers, to
	// recognize a proposal opened again and refuse late votes.
	RecentProposals = 1_000
	// RecallWindow bounds that memory by age too: a swarm forgets a task
	// or proposal that ended more than this many of its events ago. It
	// is about RecentTasks tasks' worth of events (three each: queued,
	// assigned, completed), so that a swarm at work remembers RecentTasks
	// tasks, while one whose recent events are about other things does
	// not keep old ones: a snapshot's memory is recalled from at most
	// this many events (see State.Recall).
	RecallWindow = 3 * RecentTasks
)

// recent is a bounded map that forgets its oldest entries first. Each entry
// keeps the version of the swarm's event that added it.
type recent[K comparable, V any] struct {
	byKey table[K, numbered[V]]
	byN   table[uint64, K]
	// n is the number of the newest entry, counting from 1.
	n uint64
}

// numbered is an entry of recent, the order it was added in and the
// version of the event that added it.
type numbered[V any] struct {
	n  uint64
	at uint64
	v  V
}

func (r recent[K, V]) draft() recent[K, V] {
	return recent[K, V]{byKey: r.byKey.draft(), byN: r.byN.draft(), n: r.n}
}

func (r *recent[K, V]) get(k K) (V, bool) {
	e, ok := r.byKey.get(k)
	return e.v, ok
}

// add remembers k as added by the event of version at, forgetting and
// returning the oldest entry if more than limit would be remembered. A key
// remembered already keeps its place.
func (r *recent[K, V]) add(k K, v V, at uint64, limit int) (old K, oldV V, evicted bool) {
	if e, ok := r.byKey.get(k); ok {
		r.byKey.set(k, numbered[V]{n: e.n, at: e.at, v: v})
		return old, oldV, false
	}
	r.n++
	r.byKey.set(k, numbered[V]{n: r.n, at: at, v: v})
	r.byN.set(r.n, k)
	if r.byN.len() <= limit {
		return old, oldV, false
	}
	old, oldV, _ = r.dropOldest()
	return old, oldV, true
}

// oldest returns the version that added the oldest entry, and whether
// there is one.
func (r *recent[K, V]) oldest() (at uint64, ok bool) {
	if r.byN.len() == 0 {
		return 0, false
	}
	k, _ := r.byN.get(r.first())
	e, _ := r.byKey.get(k)
	return e.at, true
}

// dropOldest forgets the oldest entry and returns it, if there is one.
func (r *recent[K, V]) dropOldest() (k K, v V, ok bool) {
	if r.byN.len() == 0 {
		return k, v, false
	}
	oldest := r.first()
	k, _ = r.byN.get(oldest)
	e, _ := r.byKey.get(k)
	r.byN.del(oldest)
	r.byKey.del(k)
	return k, e.v, true
}

// first is the number of the oldest entry: entries are numbered without
// gaps up to n.
func (r *recent[K, V]) first() uint64 { return r.n - uint64(r.byN.len()) + 1 }

// ordered returns the keys, oldest first.
func (r *recent[K, V]) ordered() []K {
	keys := make([]K, 0, r.byN.len())
	for n := r.first(); n <= r.n; n++ {
		k, _ := r.byN.get(n)
		keys = append(keys, k)
	}
	return keys
}
