package reactions

import (
	"context"
	"errors"
	"fmt"
	"time"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// checkpointStream holds the router's checkpoints, newest last. Its events
// are the router's own and cause no reaction.
const checkpointStream = "checkpoint-reactions"

// loadCheckpoint returns the position saved last, 0 if none.
func (r *Router) loadCheckpoint(ctx context.Context) (uint64, error) {
	last, err := r.store.ReadStream(ctx, checkpointStream, events.End, events.Backward, 1)
	if errors.Is(err, events.ErrStreamNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("reactions: load checkpoint: %w", err)
	}
	msg, err := events.Decode(&last[0])
	if err != nil {
		return 0, fmt.Errorf("reactions: load checkpoint: %w", err)
	}
	cp, ok := msg.(*hivev1.Checkpoint)
	if !ok {
		return 0, fmt.Errorf("reactions: load checkpoint: %s holds a %s", checkpointStream, last[0].Type)
	}
	return cp.GetPosition(), nil
}

// checkpointer decides when the router saves its checkpoint.
type checkpointer struct {
	router  *Router
	saved   uint64
	savedAt time.Time
	since   int // events other than checkpoints handled since the save
}

// maybeSave saves the position reached after a page, when enough events or
// time passed since the last save. The router's own checkpoint events do
// not count, so an idle router saves nothing.
func (c *checkpointer) maybeSave(ctx context.Context, page []*events.Committed) error {
	for _, e := range page {
		if e.Stream != checkpointStream {
			c.since++
		}
	}
	if c.since == 0 || (c.since < c.router.cfg.CheckpointEvery && time.Since(c.savedAt) < c.router.cfg.CheckpointInterval) {
		return nil
	}
	return c.save(ctx)
}

func (c *checkpointer) save(ctx context.Context) error {
	pos := c.router.Position()
	e, err := events.NewEvent(&hivev1.Checkpoint{Follower: "reactions", Position: pos}, events.Metadata{Principal: Principal})
	if err != nil {
		return err
	}
	e.RecordedAt = time.Now().UTC()
	if _, err := c.router.store.Append(ctx, checkpointStream, events.Any(), []events.Event{e}); err != nil {
		return fmt.Errorf("reactions: save checkpoint: %w", err)
	}
	c.saved, c.savedAt, c.since = pos, time.Now(), 0
	return nil
}

// final saves the position reached when the router stops, if it moved.
func (c *checkpointer) final(ctx context.Context) {
	if c.since == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := c.save(ctx); err != nil {
		c.router.logger.Warn("final checkpoint not saved; the next start sends some reactions again", "err", err)
	}
}
