package pebblestore

import (
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"

	"hive/events"
	"hive/events/eventpb"
)

// writer is the goroutine that owns the write path's state: the next
// position, the stream head cache, and the groups being staged and
// committed. Its loop takes a request, starts a group with it and every
// request already waiting, and checks and stages each against the
// committed state and the requests staged before it. It then keeps taking
// and staging requests into the same group for as long as the committer is
// busy with the group before (up to MaxBatchEvents and MaxBatchBytes), and
// hands the group over, as one pebble batch, once the committer is free.
// So a group holds every append that arrived while the previous one was
// being fsynced, and staging overlaps that fsync. At most one group is
// committing and one being staged.
//
// Before handing a group over, the writer lingers for the Append calls
// already under way that have not reached it yet (see linger): without
// that, a closed loop of N writers settles into two cohorts that take turns,
// each fsync carrying only half of them.
type writer struct {
	s      *Store
	db     *pebble.DB
	groups chan<- *group   // to the committer
	free   <-chan struct{} // a token whenever the committer is idle
	c      *committer      // for its last commit's duration
	next   uint64          // position of the next event to stage
	heads  *headCache      // committed heads
	enc    eventpb.Encoder
	dec    decoder

	cur      *group // being staged
	inflight *group // handed to the committer, perhaps not yet committed
	spare    *group
	events   int                  // events in cur's requests
	size     int                  // their estimated batch bytes
	now      time.Time            // recorded time of cur's events
	queue    []*request           // taken from Store.reqs, not yet staged
	idIter   *pebble.Iterator     // cur's view of the event-id index
	stored   map[uuid.UUID]uint64 // ids of the request being staged found in pebble, and where
	sorted   []uuid.UUID
	locate   events.Locator
	vals     []byte // the encoded events of the request being staged
	ends     []int  // end offset in vals of each
	key      []byte
}

// startWriter starts the writer and committer goroutines of s, the next
// position being next. Closing s.done stops them; s.stopped is closed when
// both have returned and every request they took has been answered.
func startWriter(s *Store, next uint64) {
	groups := make(chan *group)
	free := make(chan struct{}, 1)
	free <- struct{}{}
	w := &writer{
		s:      s,
		db:     s.db,
		groups: groups,
		free:   free,
		next:   next,
		heads:  newHeadCache(s.cfg.StreamCacheSize),
		stored: make(map[uuid.UUID]uint64),
	}
	c := &committer{s: s, groups: groups, free: free}
	w.c = c
	w.locate = w.locateID
	go w.run()
	go c.run()
}

// run is the writer loop. It returns when the store closes, having handed
// every request it took to the committer.
func (w *writer) run() {
	defer close(w.groups)
	for {
		if len(w.queue) == 0 {
			select {
			case r := <-w.s.reqs:
				w.queue = append(w.queue, r)
			case <-w.s.done:
				return
			}
		}
		w.collect()
		w.settle()
	}
}

// collect builds one group from the queued requests and those that
// arrive, and hands it to the committer as soon as the committer is free,
// or once the group is full. Requests taken but not staged stay queued for
// the next group.
func (w *writer) collect() {
	w.begin()
	for {
		switch w.stageAvailable(true) {
		case committerFree:
			w.linger()
			w.handOver()
			return
		case groupFull:
			<-w.free
			w.handOver()
			return
		}
		select {
		case <-w.free:
			w.linger()
			w.handOver()
			return
		case r := <-w.s.reqs:
			w.queue = append(w.queue, r)
		case <-w.s.done:
			<-w.free // closing: commit what was staged
			w.handOver()
			return
		}
	}
}

// Why stageAvailable stopped.
const (
	nothingLeft = iota
	committerFree
	groupFull
)

// stageAvailable stages the queued requests and those waiting on the
// channel, one at a time, until none is left, the group is full, or, if
// checkFree, the committer is free (it then has taken the committer's
// token). It checks the committer between requests, so that a free
// committer never waits for more than one request's staging.
func (w *writer) stageAvailable(checkFree bool) int {
	for {
		if len(w.queue) == 0 {
			select {
			case r := <-w.s.reqs:
				w.queue = append(w.queue, r)
			default:
				return nothingLeft
			}
		}
		if checkFree && len(w.cur.reqs) > 0 {
			select {
			case <-w.free:
				return committerFree
			default:
			}
		}
		r := w.queue[0]
		if len(w.cur.reqs) > 0 && (w.events+len(r.evs) > w.s.cfg.MaxBatchEvents || w.size+r.size > w.s.cfg.MaxBatchBytes) {
			return groupFull
		}
		w.queue[0] = nil
		w.queue = w.queue[1:]
		w.cur.reqs = append(w.cur.reqs, r)
		w.cur.replies = append(w.cur.replies, w.stage(r))
		w.events, w.size = w.events+len(r.evs), w.size+r.size
		if w.events >= w.s.cfg.MaxBatchEvents || w.size >= w.s.cfg.MaxBatchBytes {
			return groupFull
		}
	}
}

// linger runs when the committer is free. While some Append calls under
// way (validated, not yet returned) are neither staged nor queued, it takes
// and stages the requests that arrive, so that they share the next fsync;
// it stops when none is missing, when the group is full, or after
// MaxCommitDelay or the duration of the last commit, whichever is shorter.
// The calls it waits for are already running: typically the callers just
// answered, coming back with their next append, or callers on their way to
// the channel. With a single writer, or when nothing else is under way, it
// does not wait at all.
func (w *writer) linger() {
	limit := min(w.s.cfg.MaxCommitDelay, time.Duration(w.c.lastCommit.Load()))
	if limit <= 0 || !w.missing() {
		return
	}
	t := time.NewTimer(limit)
	defer t.Stop()
	for w.missing() {
		select {
		case r := <-w.s.reqs:
			w.queue = append(w.queue, r)
			if w.stageAvailable(false) == groupFull {
				return
			}
		case <-t.C:
			return
		case <-w.s.done:
			return
		}
	}
}

// missing reports whether some Append calls under way are not in the
// current group or the queue. The callers of the group just committed
// count until they return, so linger also waits for them to return or
// come back.
func (w *writer) missing() bool {
	return w.s.appending.Load() > int64(len(w.cur.reqs)+len(w.queue))
}

// begin starts a group at the next position.
func (w *writer) begin() {
	g := w.spare
	w.spare = nil
	if g == nil {
		g = newGroup()
	}
	g.reset(w.next)
	w.cur, w.events, w.size = g, 0, 0
	w.now = time.Now().UTC()
	if err := w.s.failure.Load(); err != nil {
		g.err = *err
	}
}

// handOver completes the group's batch and gives the group to the
// committer, which has just said it is free. A group that would leave the
// disk too full is refused instead (see disk).
func (w *writer) handOver() {
	if err := w.closeIDIter(); err != nil {
		// Every lookup checked the iterator's error already.
		w.s.log.Warn("closing the event-id iterator failed", "err", err)
	}
	if w.cur.err == nil && w.cur.batch != nil {
		if err := w.s.disk.room(w.size); err != nil {
			w.refuse(err)
		}
	}
	if w.cur.err == nil {
		if err := w.fill(); err != nil {
			// Later groups would build on this one: stop the store.
			w.cur.err = err
			w.s.fail(err)
		}
	}
	w.groups <- w.cur
}

// refuse fails the current group with err, which is not sticky: nothing
// of the group is written, the next group starts at the group's first
// position, and no later request sees its heads or ids.
func (w *writer) refuse(err error) {
	g := w.cur
	g.err = err
	w.next, g.next = g.first, g.first
	clear(g.heads)
	clear(g.ids)
}

// settle runs once the committer has taken the current group, which means
// it has finished the group before: that group's heads, now committed, go
// into the cache (unless the store has failed), and its memory is kept for
// reuse.
func (w *writer) settle() {
	if prev := w.inflight; prev != nil {
		if w.s.failure.Load() == nil {
			for stream, h := range prev.heads {
				w.heads.put(stream, h)
			}
		}
		w.spare = prev
	}
	w.inflight, w.cur = w.cur, nil
}
