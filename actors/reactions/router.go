package reactions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hive/actors"
	"hive/actors/decision"
	"hive/events"
)

// Principal is who reactions' commands are recorded as issued by; their
// correlation id is the one of the event they react to, and their causation
// id that event's id.
const Principal = "hive:reactions"

// Store is the part of the event store the router reads and checkpoints in.
// It follows the log as a follower of Config.Tail, or of a tail of its own
// over the store.
type Store interface {
	ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error)
	SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error)
	ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error)
	Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error)
}

// Commands sends commands to entities.
type Commands interface {
	Ask(ctx context.Context, ref actors.Ref, cmd actors.Command) (actors.Result, error)
}

// Router follows the log and sends the reactions its rule derives. Run it
// in one goroutine; WaitFor and Position are safe from any goroutine.
type Router struct {
	cfg      Config
	store    Store
	commands Commands
	rule     Rule
	logger   *slog.Logger
	metrics  *metrics

	handled atomic.Uint64
	mu      sync.Mutex
	moved   chan struct{} // closed and replaced whenever handled moves
}

// New returns a router sending the reactions rule derives to commands.
func New(cfg Config, store Store, commands Commands, rule Rule, logger *slog.Logger, reg prometheus.Registerer) (*Router, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	return &Router{cfg: cfg, store: store, commands: commands, rule: rule, logger: logger, metrics: m, moved: make(chan struct{})}, nil
}

// Position is the position of the last event whose reactions were handled.
func (r *Router) Position() uint64 { return r.handled.Load() }

// WaitFor waits until the reactions to every event up to pos were handled,
// or ctx ends.
func (r *Router) WaitFor(ctx context.Context, pos uint64) error {
	for {
		r.mu.Lock()
		moved := r.moved
		r.mu.Unlock()
		if r.handled.Load() >= pos {
			return nil
		}
		select {
		case <-moved:
		case <-ctx.Done():
			return fmt.Errorf("reactions at %d, waiting for %d: %w", r.handled.Load(), pos, ctx.Err())
		}
	}
}

func (r *Router) advance(pos uint64) {
	r.handled.Store(pos)
	r.metrics.position.Set(float64(pos))
	r.mu.Lock()
	close(r.moved)
	r.moved = make(chan struct{})
	r.mu.Unlock()
}

// Run follows the log from the saved checkpoint until ctx ends, then saves
// the checkpoint once more. It returns nil when ctx ends, or the error that
// stopped it (the store closed). A checkpoint the store refuses (its disk
// is full) is logged and saved after the next events.
func (r *Router) Run(ctx context.Context) error {
	from, err := r.loadCheckpoint(ctx)
	if err != nil {
		return err
	}
	r.advance(from)
	tail := r.cfg.Tail
	if tail == nil {
		if tail, err = events.NewTail(r.store, events.TailConfig{Logger: r.logger}); err != nil {
			return err
		}
		defer tail.Start(ctx, from)()
	}
	f := tail.Follow(from)
	defer f.Close()
	cp := checkpointer{router: r, saved: from, savedAt: time.Now()}
	defer cp.final(ctx)
	page := make([]*events.Committed, 0, r.cfg.PageSize)
	for {
		page, err = f.Next(ctx, page[:0], r.cfg.PageSize)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reactions: follow the log: %w", err)
		}
		if err := r.handlePage(ctx, page); err != nil {
			if ctx.Err() != nil {
				return nil // ended while retrying
			}
			return err
		}
		r.advance(page[len(page)-1].Position)
		if err := cp.maybeSave(ctx, page); err != nil && ctx.Err() == nil {
			// A late checkpoint only means more reactions sent again
			// after a restart; the next page tries again.
			r.logger.Warn("checkpoint not saved; trying again after the next events", "err", err)
		}
	}
}

// handlePage sends the reactions to a page of events: those to one entity
// in order, those to different entities in parallel. It fails only when ctx
// ends before every reaction was handled.
func (r *Router) handlePage(ctx context.Context, page []*events.Committed) error {
	queues, order, err := r.derive(page)
	if err != nil {
		return err
	}
	sem := make(chan struct{}, r.cfg.Parallel)
	var wg sync.WaitGroup
	for _, ref := range order {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			for _, c := range queues[ref] {
				r.send(ctx, c)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

// caused is a reaction and the event that caused it.
type caused struct {
	Reaction
	by *events.Envelope
}

// derive groups the reactions to a page's events by target, in log order.
func (r *Router) derive(page []*events.Committed) (map[actors.Ref][]caused, []actors.Ref, error) {
	queues := make(map[actors.Ref][]caused)
	var order []actors.Ref
	for _, c := range page {
		env := &c.Envelope
		if env.Stream == checkpointStream {
			continue
		}
		msg, err := c.Message()
		if errors.Is(err, events.ErrUnknownType) {
			continue // no rule can react to a type this build does not know
		}
		if err != nil {
			return nil, nil, fmt.Errorf("reactions: %w", err)
		}
		for _, re := range r.rule(env, msg) {
			if _, ok := queues[re.To]; !ok {
				order = append(order, re.To)
			}
			queues[re.To] = append(queues[re.To], caused{Reaction: re, by: env})
		}
	}
	return queues, order, nil
}

// send asks the target to handle one reaction, retrying failures that are
// not a decision until ctx ends; a rejection sends the compensation instead.
func (r *Router) send(ctx context.Context, c caused) {
	cmd := actors.Command{ID: c.by.ID.String(), CorrelationID: c.by.CorrelationID, Principal: Principal, Body: c.Body, SkipState: true}
	for backoff := r.cfg.InitialBackoff; ; backoff = min(2*backoff, r.cfg.MaxBackoff) {
		_, err := r.commands.Ask(ctx, c.To, cmd)
		switch {
		case err == nil:
			r.metrics.sent.WithLabelValues(resultHandled).Inc()
			return
		case isRejection(err):
			r.metrics.sent.WithLabelValues(resultRejected).Inc()
			r.logger.Warn("reaction rejected", "to", c.To.String(), "command", c.Body.CommandName(),
				"cause_stream", c.by.Stream, "cause_version", c.by.Version, "err", err)
			if c.Compensate != nil {
				for _, comp := range c.Compensate(err) {
					r.send(ctx, caused{Reaction: comp, by: c.by})
				}
			}
			return
		}
		r.metrics.sent.WithLabelValues(resultRetried).Inc()
		r.logger.Warn("reaction failed; retrying", "to", c.To.String(), "command", c.Body.CommandName(), "in", backoff, "err", err)
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return
		}
	}
}

func isRejection(err error) bool {
	return errors.Is(err, decision.ErrInvalid) || errors.Is(err, decision.ErrConflict) || errors.Is(err, decision.ErrNotFound)
}
