package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"hive/events"
)

// ErrFailed: a projection stopped on an event it could not apply.
var ErrFailed = errors.New("projection failed")

// Projection is a read model built from the event log.
type Projection interface {
	// Name identifies the projection in metrics, logs and health.
	Name() string
	// Checkpoint returns the position of the last event applied, 0 if none.
	Checkpoint() uint64
	// Apply applies the next event of the log and advances the checkpoint
	// to its position, as one step. Events the projection does not use
	// still advance the checkpoint.
	Apply(env *events.Envelope) error
}

// Log is the part of the event store projections read.
type Log interface {
	SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error)
	Head(ctx context.Context) (uint64, error)
}

// Runner feeds each projection its events, each in its own goroutine.
type Runner struct {
	log     Log
	logger  *slog.Logger
	tracked []*tracked
	waiting waiters
}

// tracked is a projection and what the runner knows of its progress.
type tracked struct {
	Projection
	target atomic.Uint64 // head when the runner started: caught up beyond it
	err    atomic.Pointer[error]
}

// NewRunner returns a runner for projections over log, registering its
// metrics with reg.
func NewRunner(log Log, logger *slog.Logger, reg prometheus.Registerer, ps ...Projection) (*Runner, error) {
	r := &Runner{log: log, logger: logger}
	for _, p := range ps {
		t := &tracked{Projection: p}
		t.target.Store(math.MaxUint64) // not ready before Run reads the head
		r.tracked = append(r.tracked, t)
	}
	if err := reg.Register(&collector{r: r}); err != nil {
		return nil, fmt.Errorf("register projection metrics: %w", err)
	}
	return r, nil
}

// Run feeds the projections until ctx ends or one fails. It returns nil when
// ctx ends and an ErrFailed error when a projection fails; the others go on
// until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	head, err := r.log.Head(ctx)
	if err != nil {
		return fmt.Errorf("projections: read head: %w", err)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(r.tracked))
	for i, t := range r.tracked {
		t.target.Store(head)
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.feed(ctx, t)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *Runner) feed(ctx context.Context, t *tracked) error {
	sub, err := r.log.SubscribeAll(ctx, t.Checkpoint())
	if err != nil {
		return r.fail(t, nil, fmt.Errorf("subscribe: %w", err))
	}
	defer sub.Close()
	for {
		env, err := sub.Next(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return r.fail(t, nil, fmt.Errorf("read: %w", err))
		}
		if err := t.Apply(&env); err != nil {
			return r.fail(t, &env, err)
		}
		r.waiting.release(r.reached(), false)
	}
}

func (r *Runner) fail(t *tracked, env *events.Envelope, err error) error {
	if env != nil {
		err = fmt.Errorf("%w: %s at %s version %d (position %d, type %s): %w",
			ErrFailed, t.Name(), env.Stream, env.Version, env.Position, env.Type, err)
	} else {
		err = fmt.Errorf("%w: %s: %w", ErrFailed, t.Name(), err)
	}
	t.err.Store(&err)
	r.logger.Error("projection stopped", "projection", t.Name(), "checkpoint", t.Checkpoint(), "err", err)
	r.waiting.release(0, true)
	return err
}

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
