// Package liveness declares agents lost when their heartbeat deadline
// passes. Deadlines are in the agents' events (see agent.Heartbeat); the
// watcher finds overdue agents in a read model and asks each agent's entity
// to check its own deadline, so the decision stays the entity's, made on its
// authoritative state. A read model that lags only causes a check that
// decides nothing. Because deadlines are recorded, not held in timers, a
// restart loses none: the rebuilt read model shows every overdue agent.
package liveness

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"hive/actors"
	"hive/actors/agent"
	"hive/events"
)

// Principal is who the watcher's commands are recorded as issued by.
const Principal = "hive:liveness"

// Overdue lists the agents whose deadline has passed at now and that are
// not lost or gone yet.
type Overdue interface {
	Overdue(now time.Time) []string
}

// Commands sends commands to entities.
type Commands interface {
	Ask(ctx context.Context, ref actors.Ref, cmd actors.Command) (actors.Result, error)
}

// Config configures a Watcher.
type Config struct {
	// Interval is how often the watcher looks for overdue agents (default
	// one second): an agent is declared lost at most that long after its
	// deadline.
	Interval time.Duration
}

// Watcher checks overdue agents. Run it in one goroutine.
type Watcher struct {
	cfg      Config
	overdue  Overdue
	commands Commands
	logger   *slog.Logger
}

// New returns a watcher.
func New(cfg Config, overdue Overdue, commands Commands, logger *slog.Logger) (*Watcher, error) {
	if cfg.Interval == 0 {
		cfg.Interval = time.Second
	}
	if cfg.Interval < 0 {
		return nil, errors.New("liveness: Interval must not be negative")
	}
	return &Watcher{cfg: cfg, overdue: overdue, commands: commands, logger: logger}, nil
}

// Run checks overdue agents every Interval until ctx ends; it returns nil.
func (w *Watcher) Run(ctx context.Context) error {
	t := time.NewTicker(w.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			w.check(ctx, now.UTC())
		}
	}
}

// check asks every overdue agent's entity to check its deadline. A failed
// check is logged and retried at the next tick.
func (w *Watcher) check(ctx context.Context, now time.Time) {
	for _, id := range w.overdue.Overdue(now) {
		cmdID, err := events.NewEventID()
		if err != nil {
			w.logger.Error("liveness check not sent", "agent", id, "err", err)
			return
		}
		_, err = w.commands.Ask(ctx, actors.Ref{Kind: agent.Kind, ID: id}, actors.Command{
			ID: cmdID.String(), Principal: Principal, Body: agent.CheckLiveness{Now: now},
		})
		if err != nil && ctx.Err() == nil {
			w.logger.Warn("liveness check failed", "agent", id, "err", err)
		}
	}
}
