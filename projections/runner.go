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
	// still advance the checkpoint.
	Apply(env *events.Envelope) error
}

// Log is the part of the event store projections read.
type Log interface {
	ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error)
	SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error)
	Head(ctx context.Context) (uint64, error)
}

// Options say where a runner's events come from and where the changes and
// states of its projections go. The zero value follows the store directly,
// publishes no changes and saves no state.
type Options struct {
	// Bus, if set, is where committed events come from: the messages the
	// relay publishes on EventsTopic. Without it the runner follows the
	// store itself.
	Bus         message.Subscriber
	EventsTopic string
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
	// inboxSize is how many live events wait for one projection; past it
	// the projection reads what it missed from the store instead.
	inboxSize = 4096
	// catchUpPage is how many events one store read returns.
	catchUpPage = 1000
	// outboxSize is how many batches of changes may wait for the bus.
	outboxSize = 1024
	// maxBatch is the most live events a projection applies before it
	// publishes their changes, when more keep coming.
	maxBatch = 256
)

// Runner feeds each projection its events, each in its own goroutine. It
// reads the log once and fans every event out to the projections; a
// projection that falls behind (a full inbox, a gap in the positions)
// reads what it missed from the store, so none skips an event.
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
	unflushed int           // events applied since their changes were published
	inbox     chan delivery
	missed    chan struct{} // signalled when a delivery did not fit the inbox
	changes   []Change
	// saveFailing is set while saves fail (a full disk): the failure is
	// logged once, not at every retry. Only the projection's feed uses it.
	saveFailing bool
}

// delivery is a committed event and the position of the one before it in
// the log.
type delivery struct {
	env  *events.Envelope
	prev uint64
}

// NewRunner returns a runner for projections over log, registering its
// metrics with reg.
func NewRunner(log Log, logger *slog.Logger, reg prometheus.Registerer, ps ...Projection) (*Runner, error) {
	r := &Runner{log: log, logger: logger}
	for _, p := range ps {
		t := &tracked{Projection: p, inbox: make(chan delivery, inboxSize), missed: make(chan struct{}, 1)}
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
	runCtx := ctx
	srcCtx, stopSource := context.WithCancel(ctx)
	defer stopSource()
	// Subscribe before reading the head: whatever commits from now on is
	// delivered, and what committed before is in the store.
	source, err := r.source(srcCtx)
	if err != nil {
		return err
	}
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
	ctx, stopFeeds := context.WithCancel(ctx)
	defer stopFeeds()
	var wg sync.WaitGroup
	var sourceErr, publishErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		// Run's own ctx is checked too: it ends before the contexts made
		// from it, and the bus may close (at shutdown) in between.
		if source(srcCtx); runCtx.Err() == nil && srcCtx.Err() == nil {
			sourceErr = errors.New("projections: the committed events stopped coming (the bus or the store closed)")
			r.logger.Error("projections stopped", "err", sourceErr)
			stopFeeds()
		}
	}()
	if r.outbox != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if publishErr = r.publish(srcCtx); publishErr != nil {
				r.logger.Error("projections stopped: changes cannot be published", "err", publishErr)
				stopFeeds()
			}
		}()
	}
	errs := make([]error, len(r.tracked))
	var feeds sync.WaitGroup
	for i, t := range r.tracked {
		feeds.Add(1)
		go func() {
			defer feeds.Done()
			errs[i] = r.feed(ctx, t)
		}()
	}
	feeds.Wait()
	stopSource()
	wg.Wait()
	return errors.Join(append(errs, sourceErr, publishErr)...)
}

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

// feed applies the log to one projection: what the store holds beyond its
// checkpoint, then the live deliveries, going back to the store whenever
// it missed one.
func (r *Runner) feed(ctx context.Context, t *tracked) error {
	defer r.save(t)
	var tick <-chan time.Time
	if _, ok := t.Projection.(Persistent); ok && r.opts.States != nil {
		ticker := time.NewTicker(r.opts.SaveInterval)
		defer ticker.Stop()
		tick = ticker.C
	}
	for {
		if err := r.catchUp(ctx, t); err != nil {
			return err
		}
		if err := r.follow(ctx, t, tick); err != nil || ctx.Err() != nil {
			return err
		}
	}
}

// catchUp applies the events the store holds beyond t's checkpoint. It
// returns nil when ctx ends.
func (r *Runner) catchUp(ctx context.Context, t *tracked) error {
	for {
		page, err := r.log.ReadAll(ctx, t.Checkpoint(), catchUpPage)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return r.fail(t, nil, fmt.Errorf("read: %w", err))
		}
		if len(page) == 0 {
			return nil
		}
		r.seen(&page[len(page)-1])
		for i := range page {
			if err := r.apply(t, &page[i]); err != nil {
				return err
			}
		}
		if err := r.flush(ctx, t, &page[len(page)-1]); err != nil {
			return err
		}
	}
}

// follow applies live deliveries in order until ctx ends (then it returns
// nil) or t missed one and must catch up from the store. It publishes the
// changes of the events it applied whenever its inbox is empty, and every
// maxBatch events while it is not.
func (r *Runner) follow(ctx context.Context, t *tracked, tick <-chan time.Time) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.missed:
			return nil
		case <-tick:
			r.save(t)
		case d := <-t.inbox:
			cp := t.Checkpoint()
			if d.env.Position <= cp {
				continue // applied already, from the store
			}
			if d.prev != cp {
				return nil // events between cp and this one are missing
			}
			if err := r.apply(t, d.env); err != nil {
				return err
			}
			if len(t.inbox) > 0 && t.unflushed < maxBatch {
				continue
			}
			if err := r.flush(ctx, t, d.env); err != nil {
				return err
			}
		}
	}
}

// apply applies env to t.
func (r *Runner) apply(t *tracked, env *events.Envelope) error {
	if err := t.Apply(env); err != nil {
		return r.fail(t, env, err)
	}
	t.appliedAt.Store(env.RecordedAt.UnixNano())
	t.unflushed++
	r.waiting.release(r.reached(), false)
	return nil
}

// flush publishes the changes of the events t applied since the last
// flush, last being the newest of them.
func (r *Runner) flush(ctx context.Context, t *tracked, last *events.Envelope) error {
	t.unflushed = 0
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
