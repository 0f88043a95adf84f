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

// Batcher is implemented by projections that apply a batch of events
// under one lock: the runner hands them each batch it reads at once,
// instead of each event, which saves a lock and an unlock per event.
type Batcher interface {
	Projection
	// ApplyBatch applies batch in order, as Apply would apply each event,
	// and returns how many it applied: all of them, or those before the
	// one it could not apply, and why.
	ApplyBatch(batch []*events.Committed) (int, error)
}

// applyEach applies the events of batch with apply, in order, and returns
// how many it applied: all of them, or those before the first that failed,
// and its error. Batchers use it with their lock held.
func applyEach(batch []*events.Committed, apply func(*events.Committed) error) (int, error) {
	for i, c := range batch {
		if err := apply(c); err != nil {
			return i, err
		}
	}
	return len(batch), nil
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
	// restores them when Run starts and saves each every SaveInterval
	// (default DefaultSaveInterval), one at a time spread over the
	// interval, and all when Run ends.
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
	// maxBatch is the most events the runner applies before it publishes
	// the projections' changes and wakes the waits, when more keep coming;
	// also how many one store read returns.
	maxBatch = 256
)

// Runner feeds the projections their events, in one goroutine, as one
// follower of the log's tail: the tail reads the log once, the runner takes
// its events in batches and applies each batch to each projection in turn,
// each event decoded once for all of them. While it is behind the tail's
// ring (at start, or after a pause) it reads the store, so no projection
// skips an event.
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
	// logged once, not at every retry. Only the runner's feed uses it.
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
// ends or they all fail. It returns nil when ctx ends and an ErrFailed
// error when a projection failed; the others go on until ctx ends.
func (r *Runner) Run(ctx context.Context) error {
	r.restore()
	head, err := r.log.Head(ctx)
	if err != nil {
		return fmt.Errorf("projections: read head: %w", err)
	}
	low := uint64(math.MaxUint64)
	for _, t := range r.tracked {
		t.target.Store(head)
		r.forgetFuture(t, head)
		low = min(low, t.Checkpoint())
	}
	// The feed stops, too, if the changes can no longer be published.
	runCtx := ctx
	ctx, stopFeed := context.WithCancel(ctx)
	defer stopFeed()
	tail := r.opts.Tail
	if tail == nil {
		if tail, err = events.NewTail(r.log, events.TailConfig{Logger: r.logger}); err != nil {
			return err
		}
		defer tail.Start(ctx, head)()
	}
	var wg sync.WaitGroup
	var publishErr error
	if r.outbox != nil {
		wg.Go(func() {
			if publishErr = r.publish(ctx); publishErr != nil {
				r.logger.Error("projections stopped: changes cannot be published", "err", publishErr)
				stopFeed()
			}
		})
	}
	f := tail.Follow(low)
	defer f.Close()
	feedErr := r.feed(ctx, f)
	// Run's own ctx is checked: it ends before the contexts made from it,
	// and the tail may stop (at shutdown) in between.
	if errors.Is(feedErr, errTailStopped) {
		feedErr = nil
		if runCtx.Err() == nil {
			feedErr = errors.New("projections: the committed events stopped coming (the store closed)")
			r.logger.Error("projections stopped", "err", feedErr)
		}
	}
	stopFeed()
	wg.Wait()
	return errors.Join(r.failed(), feedErr, publishErr)
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
