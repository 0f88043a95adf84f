package projections

import (
	"context"
	"fmt"
	"sort"
	"time"

	"hive/events"
)

// feed applies the log, as f reads it, to every projection that has not
// failed, in batches: each batch to each projection in turn, after which
// it publishes the projection's changes, and then releases the waits the
// projections' progress satisfies. It saves one persistent projection's
// state at a time, in turn, so that each is saved every SaveInterval, and
// all of them when it ends. It returns when ctx ends (nil), the tail stops
// (errTailStopped) or every projection has failed.
func (r *Runner) feed(ctx context.Context, f *events.Follower) error {
	defer r.saveAll()
	saves := r.saver()
	defer saves.Stop()
	batch := make([]*events.Committed, 0, maxBatch)
	for r.live() > 0 {
		var err error
		batch, err = f.Poll(ctx, batch[:0], maxBatch)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			r.failAll(fmt.Errorf("read: %w", err))
			return nil
		}
		if len(batch) > 0 {
			r.applyBatch(ctx, batch)
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-f.Stopped():
			return errTailStopped
		case <-saves.C:
			saves.next()
		case <-f.Ready():
		}
	}
	return nil
}

// applyBatch applies to each projection that has not failed the events of
// batch it has not applied yet, and publishes its changes; a projection
// that fails stops there, the others go on. Then it wakes the waits their
// progress satisfies.
func (r *Runner) applyBatch(ctx context.Context, batch []*events.Committed) {
	last := &batch[len(batch)-1].Envelope
	for _, t := range r.tracked {
		if t.err.Load() != nil {
			continue
		}
		// Skip what it applied already: it was restored ahead of others.
		cp := t.Checkpoint()
		todo := batch[sort.Search(len(batch), func(i int) bool { return batch[i].Position > cp }):]
		if len(todo) == 0 {
			continue
		}
		if n, err := r.applyTo(t, todo); err != nil {
			r.fail(t, &todo[n].Envelope, err)
			continue
		}
		t.appliedAt.Store(last.RecordedAt.UnixNano())
		if err := r.publishChanges(ctx, t, last); err != nil && ctx.Err() == nil {
			r.fail(t, last, err)
		}
	}
	r.seen(last)
	r.waiting.release(r.reached(), false)
}

// applyTo applies batch to t, at once if t is a Batcher, and returns how
// many events it applied.
func (r *Runner) applyTo(t *tracked, batch []*events.Committed) (int, error) {
	if b, ok := t.Projection.(Batcher); ok {
		return b.ApplyBatch(batch)
	}
	return applyEach(batch, t.Apply)
}

// live counts the projections that have not failed.
func (r *Runner) live() int {
	n := 0
	for _, t := range r.tracked {
		if t.err.Load() == nil {
			n++
		}
	}
	return n
}

// failAll stops every projection that has not failed with err.
func (r *Runner) failAll(err error) {
	for _, t := range r.tracked {
		if t.err.Load() == nil {
			r.fail(t, nil, err)
		}
	}
}

// saver ticks, when there is a state store, often enough to save each
// persistent projection every SaveInterval, one a tick.
type saver struct {
	*time.Ticker
	r       *Runner
	ps      []*tracked
	nextOne int
}

// saver returns the feed's saver; Stop it when done.
func (r *Runner) saver() *saver {
	s := &saver{r: r}
	if r.opts.States != nil {
		for _, t := range r.tracked {
			if _, ok := t.Projection.(Persistent); ok {
				s.ps = append(s.ps, t)
			}
		}
	}
	if len(s.ps) == 0 {
		s.Ticker = time.NewTicker(time.Hour)
		s.Ticker.Stop()
		return s
	}
	s.Ticker = time.NewTicker(max(r.opts.SaveInterval/time.Duration(len(s.ps)), time.Millisecond))
	return s
}

// next saves the next persistent projection in turn.
func (s *saver) next() {
	s.r.save(s.ps[s.nextOne])
	s.nextOne = (s.nextOne + 1) % len(s.ps)
}

// saveAll saves every persistent projection.
func (r *Runner) saveAll() {
	for _, t := range r.tracked {
		r.save(t)
	}
}

// seen records env as the newest event seen, if it is.
func (r *Runner) seen(env *events.Envelope) {
	for {
		head := r.head.Load()
		if env.Position <= head {
			return
		}
		if r.head.CompareAndSwap(head, env.Position) {
			r.headAt.Store(env.RecordedAt.UnixNano())
			return
		}
	}
}

// save stores t's state if it is persistent and changed since last saved.
// A failed save is logged, once until a save works again (the next
// interval retries it): the state can always be rebuilt from the log.
func (r *Runner) save(t *tracked) {
	p, ok := t.Projection.(Persistent)
	if !ok || r.opts.States == nil || p.Checkpoint() == t.saved.Load() {
		return
	}
	cp := p.Checkpoint()
	data, err := p.MarshalState()
	if err == nil {
		err = r.opts.States.Save(p.Name(), data)
	}
	if err != nil {
		if !t.saveFailing {
			r.logger.Error("save projection state", "projection", p.Name(), "checkpoint", cp, "err", err, "retry_every", r.opts.SaveInterval)
		}
		t.saveFailing = true
		return
	}
	if t.saveFailing {
		r.logger.Info("projection state saved again", "projection", p.Name(), "checkpoint", cp)
		t.saveFailing = false
	}
	t.saved.Store(cp)
}

// fail stops t: it records err, naming env if the error is env's, and
// wakes every wait, which then sees it.
func (r *Runner) fail(t *tracked, env *events.Envelope, err error) {
	if env != nil {
		err = fmt.Errorf("%w: %s at %s version %d (position %d, type %s): %w",
			ErrFailed, t.Name(), env.Stream, env.Version, env.Position, env.Type, err)
	} else {
		err = fmt.Errorf("%w: %s: %w", ErrFailed, t.Name(), err)
	}
	t.err.Store(&err)
	r.logger.Error("projection stopped", "projection", t.Name(), "checkpoint", t.Checkpoint(), "err", err)
	r.waiting.release(0, true)
}
