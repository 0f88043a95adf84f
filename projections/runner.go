package projections

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
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
	// still advance the checkpoint. The event, and its message, are shared
	// with the other projections: Apply reads them only.
	Apply(c *events.Committed) error
}

// Log is the part of the event store projections read.
type Log interface {
	ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error)
	SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error)
	Head(ctx context.Context) (uint64, error)
}

// Options say where a runner's events come from and where the changes and
// states of its projections go. The zero value follows the store with a
// tail of its own, publishes no changes and saves no state.
type Options struct {
	// Tail, if set, is the process's one reader of the log, which hands
	// each event to every projection (and to its other followers) once.
	// Without it the runner runs a tail of its own over the store.
	Tail *events.Tail
	// Changes, if set, receives the changes of Live projections on
	// ChangesTopic: one message per applied batch of events and projection,
	// made by NewChangesMessage.
	Changes      message.Publisher
	ChangesTopic string
	// States, if set, keeps the state of Persistent projections. The runner
	// restores them when Run starts and saves them every SaveInterval
	// (default DefaultSaveInterval) and when Run ends.
	States       StateStore
	SaveInterval time.Duration
}

// DefaultSaveInterval is how often the runner saves a persistent
// projection's state by default, if it changed.
const DefaultSaveInterval = 10 * time.Second

// Delivery limits.
const (
	// outboxSize is how many batches of changes may wait for the bus.
	outboxSize = 1024
	// maxBatch is the most events a projection applies before it publishes
	// their changes and saves its state, when more keep coming; also how
	// many one store read returns.
	maxBatch = 256
)

// Runner feeds each projection its events, each in its own goroutine, as a
// follower of the log's tail: the tail reads the log once and hands every
// event to each projection, which reads what it missed, if it falls
// behind, from the store, so none skips an event.
type Runner struct {
	log     Log
	logger  *slog.Logger
	opts    Options
	tracked []*tracked
	waiting waiters
	outbox  chan *message.Message // changes for the bus, when there is one
	head    atomic.Uint64         // newest position seen
	headAt  atomic.Int64          // its recorded time, Unix nanoseconds
}

// tracked is a projection and what the runner knows of its progress.
type tracked struct {
	Projection
	target    atomic.Uint64 // head when the runner started: caught up beyond it
	err       atomic.Pointer[error]
	appliedAt atomic.Int64  // recorded time of the last event applied, Unix ns
	saved     atomic.Uint64 // checkpoint of the last saved state
	changes   []Change
	// saveFailing is set while saves fail (a full disk): the failure is
	// logged once, not at every retry. Only the projection's feed uses it.
	saveFailing bool
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

// With sets the runner's options and returns it. Call it before Run.
func (r *Runner) With(o Options) *Runner {
	if o.SaveInterval <= 0 {
		o.SaveInterval = DefaultSaveInterval
	}
	r.opts = o
	r.outbox = nil
	if o.Changes != nil {
		r.outbox = make(chan *message.Message, outboxSize)
	}
	return r
}

// Run restores the persistent projections and feeds all of them until ctx
// ends or they fail. It returns nil when ctx ends and an ErrFailed error
// when a projection fails; the others go on until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	r.restore()
	head, err := r.log.Head(ctx)
	if err != nil {
		return fmt.Errorf("projections: read head: %w", err)
	}
	for _, t := range r.tracked {
		t.target.Store(head)
		r.forgetFuture(t, head)
	}
	// The feeds stop, too, if events stop coming or the changes can no
	// longer be published.
	runCtx := ctx
	ctx, stopFeeds := context.WithCancel(ctx)
	defer stopFeeds()
	var wg sync.WaitGroup
	tail := r.opts.Tail
	if tail == nil {
		if tail, err = events.NewTail(r.log, events.TailConfig{Logger: r.logger}); err != nil {
			return err
		}
		defer tail.Start(ctx, head)()
	}
	var publishErr error
	if r.outbox != nil {
		wg.Go(func() {
			if publishErr = r.publish(ctx); publishErr != nil {
				r.logger.Error("projections stopped: changes cannot be published", "err", publishErr)
				stopFeeds()
			}
		})
	}
	errs := make([]error, len(r.tracked))
	var feeds sync.WaitGroup
	for i, t := range r.tracked {
		feeds.Go(func() {
			f := tail.Follow(t.Checkpoint())
			defer f.Close()
			errs[i] = r.feed(ctx, t, f)
		})
	}
	feeds.Wait()
	// Run's own ctx is checked: it ends before the contexts made from it,
	// and the tail may stop (at shutdown) in between.
	var sourceErr error
	if errors.Is(errors.Join(errs...), errTailStopped) {
		if runCtx.Err() == nil {
			sourceErr = errors.New("projections: the committed events stopped coming (the store closed)")
			r.logger.Error("projections stopped", "err", sourceErr)
		}
		for i := range errs {
			if errors.Is(errs[i], errTailStopped) {
				errs[i] = nil
			}
		}
	}
	stopFeeds()
	wg.Wait()
	return errors.Join(append(errs, sourceErr, publishErr)...)
}

// errTailStopped ends a feed whose tail stopped handing out events.
var errTailStopped = errors.New("the tail stopped")

// restore loads the saved state of each persistent projection still
// empty (see Restore); one given to the runner already at a position is
// taken as restored.
func (r *Runner) restore() {
	if r.opts.States == nil {
		return
	}
	var empty []Projection
	for _, t := range r.tracked {
		if p, ok := t.Projection.(Persistent); ok && p.Checkpoint() == 0 {
			empty = append(empty, p)
		}
	}
	Restore(r.opts.States, r.logger, empty...)
	for _, t := range r.tracked {
		if _, ok := t.Projection.(Persistent); ok {
			t.saved.Store(t.Checkpoint())
		}
	}
}

// forgetFuture empties t if its restored state is beyond the head: the
// state of another history (a log replaced under saved read models, or
// one that lost events, which its owner accepted), rebuilt from this one.
// The empty state is saved at once, so that the saved position no longer
// claims what the log does not hold.
func (r *Runner) forgetFuture(t *tracked, head uint64) {
	p, ok := t.Projection.(Persistent)
	if !ok || p.Checkpoint() <= head {
		return
	}
	r.logger.Warn("projection state is ahead of the log: rebuilding from the log", "projection", p.Name(), "checkpoint", p.Checkpoint(), "head", head)
	_ = p.UnmarshalState(nil) // fails by design, leaving it empty at zero
	r.save(t)
}

// feed applies the log to one projection, as f reads it, in batches:
// after each, it releases the waits the projection's progress satisfies
// and publishes its changes. It saves the projection's state every
// SaveInterval and when it ends.
func (r *Runner) feed(ctx context.Context, t *tracked, f *events.Follower) error {
	defer r.save(t)
	var tick <-chan time.Time
	if _, ok := t.Projection.(Persistent); ok && r.opts.States != nil {
		ticker := time.NewTicker(r.opts.SaveInterval)
		defer ticker.Stop()
		tick = ticker.C
	}
	batch := make([]*events.Committed, 0, maxBatch)
	for {
		var err error
		batch, err = f.Poll(ctx, batch[:0], maxBatch)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return r.fail(t, nil, fmt.Errorf("read: %w", err))
		}
		if len(batch) > 0 {
			if err := r.applyBatch(ctx, t, batch); err != nil {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-f.Stopped():
			return errTailStopped
		case <-tick:
			r.save(t)
		case <-f.Ready():
		}
	}
}

// applyBatch applies a batch of events to t, then wakes the waits its
// progress satisfies and publishes its changes.
func (r *Runner) applyBatch(ctx context.Context, t *tracked, batch []*events.Committed) error {
	for _, c := range batch {
		if err := t.Apply(c); err != nil {
			return r.fail(t, &c.Envelope, err)
		}
	}
	last := &batch[len(batch)-1].Envelope
	t.appliedAt.Store(last.RecordedAt.UnixNano())
	r.seen(last)
	r.waiting.release(r.reached(), false)
	if err := r.publishChanges(ctx, t, last); err != nil && ctx.Err() == nil {
		return r.fail(t, last, err)
	}
	return nil
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
