package projections

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"

	"hive/events"
	"hive/events/eventpb"
	"hive/events/relay"
)

// source returns the loop that reads committed events, from the bus if the
// runner has one and from the store if not, and hands each to every
// projection. It subscribes before returning.
func (r *Runner) source(ctx context.Context) (func(context.Context), error) {
	if r.opts.Bus == nil {
		head, err := r.log.Head(ctx)
		if err != nil {
			return nil, fmt.Errorf("projections: read head: %w", err)
		}
		sub, err := r.log.SubscribeAll(ctx, head)
		if err != nil {
			return nil, fmt.Errorf("projections: subscribe: %w", err)
		}
		return func(ctx context.Context) { r.fromStore(ctx, sub, head) }, nil
	}
	topic := r.opts.EventsTopic
	if topic == "" {
		topic = relay.DefaultTopic
	}
	msgs, err := r.opts.Bus.Subscribe(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("projections: subscribe to %s: %w", topic, err)
	}
	return func(ctx context.Context) { r.fromBus(ctx, msgs) }, nil
}

// fromStore delivers the store's events after position after.
func (r *Runner) fromStore(ctx context.Context, sub events.Subscription, prev uint64) {
	defer sub.Close()
	for {
		env, err := sub.Next(ctx)
		if ctx.Err() != nil || errors.Is(err, events.ErrClosed) {
			return
		}
		if err != nil {
			// The projections read what they missed from the store when
			// the next event comes.
			r.logger.Warn("projections: follow the log", "err", err)
			continue
		}
		r.dispatch(delivery{env: &env, prev: prev})
		prev = env.Position
	}
}

// fromBus delivers the events the relay publishes.
func (r *Runner) fromBus(ctx context.Context, msgs <-chan *message.Message) {
	var dec eventpb.Decoder
	for {
		select {
		case <-ctx.Done():
			return
		case msg, ok := <-msgs:
			if !ok {
				return
			}
			env := new(events.Envelope)
			err := dec.Decode(msg.Payload, env)
			var prev uint64
			if err == nil {
				prev, err = strconv.ParseUint(msg.Metadata.Get(relay.MetaPrevious), 10, 64)
			}
			msg.Ack()
			if err != nil {
				// The projections read this event from the store.
				r.logger.Warn("projections: unreadable bus message", "uuid", msg.UUID, "err", err)
				r.missedAll()
				continue
			}
			r.dispatch(delivery{env: env, prev: prev})
		}
	}
}

// dispatch hands d to every projection without waiting: one whose inbox is
// full is told it missed an event, and reads it from the store.
func (r *Runner) dispatch(d delivery) {
	r.seen(d.env)
	for _, t := range r.tracked {
		select {
		case t.inbox <- d:
		default:
			t.miss()
		}
	}
}

// missedAll tells every projection it missed an event.
func (r *Runner) missedAll() {
	for _, t := range r.tracked {
		t.miss()
	}
}

// miss tells t it missed an event, if it has not been told already.
func (t *tracked) miss() {
	select {
	case t.missed <- struct{}{}:
	default:
	}
}

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
