package timers

import (
	"time"

	"hive/actors"
)

// timer is one pending deadline of an entity.
type timer struct {
	ref actors.Ref
	// next is when the watcher wakes the entity for it: the deadline
	// its events set, or later after a wake-up that left it set.
	next time.Time
	// i is the timer's place in the dueHeap.
	i int
}

// dueHeap orders timers by next, earliest first (container/heap).
type dueHeap []*timer

func (h dueHeap) Len() int           { return len(h) }
func (h dueHeap) Less(i, j int) bool { return h[i].next.Before(h[j].next) }
func (h dueHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].i, h[j].i = i, j
}

func (h *dueHeap) Push(x any) {
	t := x.(*timer)
	t.i = len(*h)
	*h = append(*h, t)
}

func (h *dueHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}
