package swarm

// table is a map that a draft writes without changing the map of the state
// it was drafted from: a draft's writes and deletions go to over, and reads
// look there first. A state's table has no over and writes m directly.
// Values that are pointers must be copied before a draft changes them (see
// State.mutTask), which owns tells.
type table[K comparable, V any] struct {
	m       map[K]V
	over    map[K]slot[V]
	drafted bool
	n       int
}

// slot is a draft's write: a value, or a deletion.
type slot[V any] struct {
	v    V
	gone bool
}

// draft returns a table that shares t's entries and keeps its own writes.
func (t table[K, V]) draft() table[K, V] {
	return table[K, V]{m: t.m, drafted: true, n: t.n}
}

func (t *table[K, V]) get(k K) (V, bool) {
	if t.over != nil {
		if s, ok := t.over[k]; ok {
			return s.v, !s.gone
		}
	}
	v, ok := t.m[k]
	return v, ok
}

func (t *table[K, V]) has(k K) bool {
	_, ok := t.get(k)
	return ok
}

func (t *table[K, V]) set(k K, v V) {
	if !t.has(k) {
		t.n++
	}
	if !t.drafted {
		if t.m == nil {
			t.m = map[K]V{}
		}
		t.m[k] = v
		return
	}
	if t.over == nil {
		t.over = map[K]slot[V]{}
	}
	t.over[k] = slot[V]{v: v}
}

func (t *table[K, V]) del(k K) {
	if !t.has(k) {
		return
	}
	t.n--
	if !t.drafted {
		delete(t.m, k)
		return
	}
	if t.over == nil {
		t.over = map[K]slot[V]{}
	}
	t.over[k] = slot[V]{gone: true}
}

// owns reports whether the value of k was written by this table, not
// shared with the state it was drafted from.
func (t *table[K, V]) owns(k K) bool {
	if !t.drafted {
		return true
	}
	_, ok := t.over[k]
	return ok
}

func (t *table[K, V]) len() int { return t.n }

// each calls f for every entry, in no particular order.
func (t *table[K, V]) each(f func(K, V)) {
	for k, s := range t.over {
		if !s.gone {
			f(k, s.v)
		}
	}
	for k, v := range t.m {
		if _, ok := t.over[k]; !ok {
			f(k, v)
		}
	}
}
