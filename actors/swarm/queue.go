package swarm

import (
	"cmp"
	"slices"
	"time"
)

// AgingStep is how long a queued task waits to gain one priority level:
// its effective priority is priority + waited/AgingStep, so a priority 0
// task that waited 9 minutes ranks with a fresh priority 9 task.
const AgingStep = time.Minute

// queued is a queue entry. The queue is sorted by rank, then seq.
type queued struct {
	// rank is queuedAt − priority×AgingStep in Unix nanoseconds: lower
	// ranks have higher effective priority, at any time.
	rank int64
	seq  uint64
}

func rankOf(t *task) int64 {
	return t.queuedAt.UnixNano() - int64(t.priority)*int64(AgingStep)
}

func compareQueued(a, b queued) int {
	if c := cmp.Compare(a.rank, b.rank); c != 0 {
		return c
	}
	return cmp.Compare(a.seq, b.seq)
}

// enqueue puts t in the queue.
func (s *State) enqueue(t *task) {
	s.ownQueueSlice()
	q := queued{rank: rankOf(t), seq: t.seq}
	i, _ := slices.BinarySearchFunc(s.queue, q, compareQueued)
	s.queue = slices.Insert(s.queue, i, q)
}

// dequeue takes t out of the queue.
func (s *State) dequeue(t *task) {
	i, ok := slices.BinarySearchFunc(s.queue, queued{rank: rankOf(t), seq: t.seq}, compareQueued)
	if !ok {
		return
	}
	s.ownQueueSlice()
	s.queue = slices.Delete(s.queue, i, i+1)
}

// taskSeqs returns the sequence numbers of the unfinished tasks that keep
// returns true for, in order.
func (s *State) taskSeqs(keep func(*task) bool) []uint64 {
	var seqs []uint64
	s.tasks.each(func(seq uint64, t *task) {
		if keep(t) {
			seqs = append(seqs, seq)
		}
	})
	slices.Sort(seqs)
	return seqs
}
