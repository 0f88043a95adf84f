package pebblestore

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// committer commits the writer's groups, one at a time and in order: one
// pebble batch and one fsync (pebble.Sync) per group. Only then does it
// publish the group (the head readers see, the counters, the commit
// signal) and answer its requests. Answering in order matters even for
// groups that write nothing: their replies (an idempotent repeat, a wrong
// expected version) may rest on the group before.
type committer struct {
	s          *Store
	groups     <-chan *group
	free       chan<- struct{} // a token when idle; holds at most one
	lastCommit atomic.Int64    // duration of the last pebble commit, in ns
}

// run commits the groups until the writer closes c.groups. Once appends
// pause for markSyncInterval, it fsyncs the head mark, so that an idle
// store's mark survives a power loss too.
func (c *committer) run() {
	defer close(c.s.stopped)
	idle := time.NewTimer(markSyncInterval)
	defer idle.Stop()
	for {
		select {
		case g, ok := <-c.groups:
			if !ok {
				return
			}
			c.commit(g)
			c.free <- struct{}{}
			idle.Reset(markSyncInterval)
		case <-idle.C:
			c.s.syncMark()
		}
	}
}

func (c *committer) commit(g *group) {
	switch err := c.s.failure.Load(); {
	case err != nil:
		// A group before failed to commit, and this one may build on it.
		g.failAll(*err)
	case g.err != nil:
		g.failAll(g.err)
	case g.batch != nil && !g.batch.Empty():
		start := time.Now()
		err := write(func() error { return g.batch.Commit(pebble.Sync) })
		c.lastCommit.Store(int64(time.Since(start)))
		if err != nil {
			err = fmt.Errorf("pebblestore: commit: %w", err)
			c.s.fail(err)
			g.failAll(err)
			break
		}
		c.publish(g)
	}
	for i, r := range g.reqs {
		r.reply <- g.replies[i]
	}
	if g.batch != nil {
		_ = g.batch.Close() // hands the batch back to pebble's pool; never fails
	}
}

// publish makes a committed group visible.
func (c *committer) publish(g *group) {
	c.s.stats.commits.Add(1)
	c.s.stats.appends.Add(uint64(g.appends))
	c.s.stats.events.Add(g.next - g.first)
	c.s.head.Store(g.next - 1)
	c.s.recordMark(Mark{Position: g.next - 1, Hash: g.lastHash})
	c.s.commits.Broadcast()
}
