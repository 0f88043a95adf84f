package projections

import (
	"context"
	"fmt"
	"math"
	"time"
)

// Ready reports whether every projection has caught up with the log as it
// was when Run started, and none has failed.
func (r *Runner) Ready() error {
	if err := r.failed(); err != nil {
		return err
	}
	for _, t := range r.tracked {
		if t.Checkpoint() < t.target.Load() {
			return fmt.Errorf("projection %s catching up: at %d of %d", t.Name(), t.Checkpoint(), t.target.Load())
		}
	}
	return nil
}

// Lag reports how far each projection is behind the head of the log.
func (r *Runner) Lag() []Lag {
	ctx, cancel := context.WithTimeout(context.Background(), headTimeout)
	defer cancel()
	head, err := r.log.Head(ctx)
	if err != nil {
		head = 0 // the newest position seen stands in for it
	}
	return r.lag(head)
}

// lag reports how far each projection is behind head, or the newest
// position the runner saw if that is further on.
func (r *Runner) lag(head uint64) []Lag {
	head = max(head, r.head.Load())
	out := make([]Lag, 0, len(r.tracked))
	for _, t := range r.tracked {
		l := Lag{Projection: t.Name(), Position: t.Checkpoint()}
		l.BehindPositions = head - min(l.Position, head)
		if l.BehindPositions > 0 {
			l.BehindSeconds = max(0, time.Duration(r.headAt.Load()-t.appliedAt.Load()).Seconds())
		}
		if err := t.err.Load(); err != nil {
			l.Error = (*err).Error()
		}
		out = append(out, l)
	}
	return out
}

// reached is the position every projection has reached.
func (r *Runner) reached() uint64 {
	low := uint64(math.MaxUint64)
	for _, t := range r.tracked {
		low = min(low, t.Checkpoint())
	}
	return low
}

// WaitFor blocks until every projection has applied the event at position
// pos, or ctx ends, or a projection has failed.
func (r *Runner) WaitFor(ctx context.Context, pos uint64) error {
	for {
		if err := r.failed(); err != nil {
			return err
		}
		if r.reached() >= pos {
			return nil
		}
		wake := r.waiting.add(pos)
		// Look again: the projections may have got there, or failed, before
		// the wait was registered.
		if r.reached() >= pos || r.failed() != nil {
			r.waiting.remove(wake)
			continue
		}
		select {
		case <-wake:
		case <-ctx.Done():
			r.waiting.remove(wake)
			return ctx.Err()
		}
	}
}

// failed returns the error of the first failed projection, if any.
func (r *Runner) failed() error {
	for _, t := range r.tracked {
		if err := t.err.Load(); err != nil {
			return *err
		}
	}
	return nil
}
