package events

import (
	"context"
	"errors"
	"sort"
	"sync/atomic"
	"time"
)

// Follower reads the events after a position, in order, each once: from
// its Tail's ring while it keeps up, and from the store whenever it is
// behind (it started behind the ring, or fell behind it). One goroutine
// reads it; Close it when done.
type Follower struct {
	tail  *Tail
	ready chan struct{} // holds a token once the tail put events
	poked atomic.Bool   // the tail could not read: look in the store

	// Read by the reading goroutine only.
	after  uint64 // the position of the last event read
	next   uint64 // the ring seq of the event after it; 0: not known
	behind bool   // read the store: the ring may not hold the next event
	// pause is how long the follower waits before reading the store
	// again after reads that failed because it was unavailable (0: the
	// last read worked); retry wakes it then.
	pause time.Duration
	retry *time.Timer
}

func (f *Follower) signal() {
	select {
	case f.ready <- struct{}{}:
	default:
	}
}

// Poll appends to dst, and returns, up to limit of the next events at hand,
// without waiting for new ones to commit: those in the tail's ring or,
// while the follower is behind, a page read from the store. It returns dst
// as it was when none is at hand: then wait for Ready.
//
// A store that cannot be reached (ErrUnavailable: its server is down or
// restarting) is waited out: Poll returns no event and no error, and
// Ready wakes the follower to read again after a pause that doubles, with
// each read that fails in a row, from 50 ms to 5 s (or sooner, when the
// tail puts events); then it resumes after the last event it returned,
// skipping none and repeating none. Poll fails only if the store fails to
// read for another reason, or ctx ends.
func (f *Follower) Poll(ctx context.Context, dst []*Committed, limit int) ([]*Committed, error) {
	if f.poked.Swap(false) {
		f.behind = true
	}
	if !f.behind {
		n := len(dst)
		if dst = f.fromRing(dst, limit); len(dst) > n || !f.behind {
			return dst, nil
		}
	}
	page, err := f.tail.log.ReadAll(ctx, f.after, limit)
	if errors.Is(err, ErrUnavailable) && ctx.Err() == nil {
		f.retryLater()
		return dst, nil
	}
	if err != nil {
		return dst, err
	}
	f.pause = 0
	dst = committedPage(page, f.after, dst)
	if len(page) > 0 {
		f.after = page[len(page)-1].Position
	}
	// A short page reached what was committed when it was read: the ring
	// holds what comes after it, or the tail will put it there.
	f.behind, f.next = len(page) == limit, 0
	return dst, nil
}

// retryLater wakes f after a pause, doubling the one before, from
// tailFirstRetry to tailMaxRetry: the store could not be read.
func (f *Follower) retryLater() {
	f.pause = min(max(2*f.pause, tailFirstRetry), tailMaxRetry)
	if f.retry == nil {
		f.retry = time.AfterFunc(f.pause, f.signal)
		return
	}
	f.retry.Reset(f.pause)
}

// fromRing appends to dst up to limit of the events the ring holds after
// f.after. It sets f.behind if the ring no longer holds the next one.
func (f *Follower) fromRing(dst []*Committed, limit int) []*Committed {
	head := f.tail.seq.Load()
	if f.next == 0 {
		if f.next = f.find(head); f.next == 0 {
			return dst
		}
	}
	for ; f.next <= head && len(dst) < limit; f.next++ {
		c := f.tail.at(f.next)
		if c == nil || c.Prev != f.after {
			f.behind = true // overwritten, or older than the tail's start
			return dst
		}
		dst = append(dst, c)
		f.after = c.Position
	}
	return dst
}

// find returns the seq of the event in the ring after f.after, or 0 if
// there is none yet. If the ring holds none at or before f.after, it
// returns the oldest, whose Prev then tells that f missed events.
func (f *Follower) find(head uint64) uint64 {
	if c := f.tail.at(head); c == nil || c.Position <= f.after {
		if c != nil && c.Position == f.after {
			return head + 1 // the next to come
		}
		return 0
	}
	oldest := uint64(1)
	if n := uint64(len(f.tail.ring)); head > n {
		oldest = head - n + 1
	}
	// Positions grow with seqs; an overwritten seq is older than the rest.
	i := sort.Search(int(head-oldest+1), func(i int) bool {
		c := f.tail.at(oldest + uint64(i))
		return c != nil && c.Position > f.after
	})
	return oldest + uint64(i)
}

// Ready holds a token once events were put in the ring since it was last
// taken: Poll then may have some.
func (f *Follower) Ready() <-chan struct{} { return f.ready }

// Stopped is closed when the tail has stopped (its Run returned): no more
// events come.
func (f *Follower) Stopped() <-chan struct{} { return f.tail.done }

// Next appends to dst, and returns, up to limit of the next events, waiting
// for one to commit if none is at hand. It fails with ctx's error when ctx
// ends, with ErrClosed once the tail has stopped and every event it put in
// the ring was read, and with the store's error if it fails to read for
// another reason than being unavailable, which it waits out (see Poll).
func (f *Follower) Next(ctx context.Context, dst []*Committed, limit int) ([]*Committed, error) {
	n := len(dst)
	for {
		dst, err := f.Poll(ctx, dst, limit)
		if err != nil || len(dst) > n {
			return dst, err
		}
		select {
		case <-f.ready:
		case <-f.tail.done:
			if dst, err = f.Poll(ctx, dst, limit); err != nil || len(dst) > n {
				return dst, err
			}
			return dst, ErrClosed
		case <-ctx.Done():
			return dst, ctx.Err()
		}
	}
}

// Close stops the tail waking f.
func (f *Follower) Close() {
	if f.retry != nil {
		f.retry.Stop()
	}
	f.tail.unfollow(f)
}
