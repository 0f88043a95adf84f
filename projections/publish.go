package projections

import (
	"context"
	"fmt"

	"hive/events"
)

// publishChanges hands the changes t made up to env to the runner's
// publisher, if t is live, there is a bus for them and env came after the
// runner started; it asks for them either way, so that a live projection
// does not hoard them. The publisher sends them on in the order given, so
// that applying events never waits for live clients, unless the
// publisher's queue is full.
func (r *Runner) publishChanges(ctx context.Context, t *tracked, env *events.Envelope) error {
	lv, ok := t.Projection.(Live)
	if !ok {
		return nil
	}
	changes, err := lv.Changed(t.changes[:0])
	t.changes = changes[:0]
	if err != nil || len(changes) == 0 || r.outbox == nil || env.Position <= t.target.Load() {
		return err
	}
	msg := NewChangesMessage(env.ID.String()+"/"+t.Name(), env.Position, changes)
	select {
	case r.outbox <- msg:
	case <-ctx.Done():
	}
	return nil
}

// publish sends the changes handed to it on the bus, in order, until ctx
// ends (then it returns nil) or publishing fails.
func (r *Runner) publish(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg := <-r.outbox:
			if err := r.opts.Changes.Publish(r.opts.ChangesTopic, msg); err != nil && ctx.Err() == nil {
				return fmt.Errorf("projections: publish changes: %w", err)
			}
		}
	}
}
