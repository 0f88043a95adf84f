package timers

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"hive/actors"
	"hive/events"
)

// Principal is who the watcher's wake-up commands are recorded as issued by.
const Principal = "hive:timers"

// Commands sends commands to entities.
type Commands interface {
	Ask(ctx context.Context, ref actors.Ref, cmd actors.Command) (actors.Result, error)
}

// Config configures a Watcher.
type Config struct {
	// Interval is how long after a wake-up the watcher wakes an entity
	// again whose deadline is still set (default one second): the wake-up
	// failed, or came before the entity's state caught up with the index.
	// The first wake-up comes at the deadline itself.
	Interval time.Duration
	// Parallel is how many entities are woken at once (default 16).
	Parallel int
	// Clock tells the time and waits (default the system clock).
	Clock Clock
}

func (c *Config) setDefaults() {
	if c.Interval == 0 {
		c.Interval = time.Second
	}
	if c.Parallel == 0 {
		c.Parallel = 16
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
}

// Validate reports every invalid setting.
func (c Config) Validate() error {
	var errs []error
	if c.Interval < 0 {
		errs = append(errs, errors.New("timers: Interval must not be negative"))
	}
	if c.Parallel < 0 {
		errs = append(errs, errors.New("timers: Parallel must not be negative"))
	}
	return errors.Join(errs...)
}

// Watcher wakes entities whose deadlines have passed. It sleeps until the
// index's earliest deadline, or until the index says an earlier one was
// set, so that an idle Hive wakes an entity at its deadline, not up to a
// polling interval later. Run it in one goroutine.
type Watcher struct {
	cfg      Config
	index    *Index
	commands Commands
	logger   *slog.Logger
}

// NewWatcher returns a watcher of the deadlines in index.
func NewWatcher(cfg Config, index *Index, commands Commands, logger *slog.Logger) (*Watcher, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Watcher{cfg: cfg, index: index, commands: commands, logger: logger}, nil
}

// Run wakes due entities as their deadlines pass until ctx ends; it
// returns nil.
func (w *Watcher) Run(ctx context.Context) error {
	clock := w.cfg.Clock
	for {
		var passed <-chan time.Time
		if next, ok := w.index.Next(); ok {
			passed = clock.After(next.Sub(clock.Now()))
		}
		select {
		case <-ctx.Done():
			return nil
		case <-w.index.Changed():
		case <-passed:
			w.wake(ctx, clock.Now().UTC())
		}
	}
}

// wake sends every due entity its wake-up command, Parallel at a time, and
// returns when all have answered. A failed wake-up is logged and repeated
// after Interval, since the deadline stays in the index until the entity's
// decision cancels it.
func (w *Watcher) wake(ctx context.Context, now time.Time) {
	due := w.index.Claim(now, now.Add(w.cfg.Interval))
	sem := make(chan struct{}, w.cfg.Parallel)
	var wg sync.WaitGroup
	for _, ref := range due {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			w.wakeOne(ctx, ref, now)
		}()
	}
	wg.Wait()
}

func (w *Watcher) wakeOne(ctx context.Context, ref actors.Ref, now time.Time) {
	kind := w.index.kinds[ref.Kind]
	cmdID, err := events.NewEventID()
	if err != nil {
		w.logger.Error("wake-up not sent", "entity", ref.String(), "err", err)
		return
	}
	_, err = w.commands.Ask(ctx, ref, actors.Command{ID: cmdID.String(), Principal: Principal, Body: kind.Wake(now), SkipState: true})
	switch {
	case err == nil, ctx.Err() != nil:
	case errors.Is(err, events.ErrNoSpace):
		// Retried every Interval; the store itself says the disk is full.
		w.logger.Debug("wake-up refused: the event store's disk is full", "entity", ref.String(), "err", err)
	default:
		w.logger.Warn("wake-up failed", "entity", ref.String(), "err", err)
	}
}
