// Package relay publishes the events committed to the store to a Watermill
// publisher: the bus that carries them to live consumers (dashboards now,
// other processes later).
//
// # Delivery
//
// The relay follows the store's ordered log from the position it is given
// (the head, when a server starts) and publishes each event once, in position order, as a message whose UUID
// is the event id, whose payload is the event's hivev1.StoredEvent encoding
// (see eventpb) and whose metadata holds its stream, version, position and
// type. Messages are not replayed across restarts: a consumer that needs
// history reads the store, resuming after the position of the last message
// it handled. With a publisher that blocks until acknowledgement (the
// GoChannel configuration Hive uses), consumers see events in order.
package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"

	"hive/events"
	"hive/events/eventpb"
)

// DefaultTopic is the topic committed events are published on.
const DefaultTopic = "hive.events"

// Metadata keys of published messages.
const (
	MetaStream   = "stream"
	MetaVersion  = "version"
	MetaPosition = "position"
	MetaType     = "type"
	MetaPrevious = "previous"
)

// Log is the part of the event store the relay follows.
type Log interface {
	SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error)
}

// Config configures a Relay.
type Config struct {
	// Topic is where events are published (default DefaultTopic).
	Topic string
}

func (c *Config) setDefaults() {
	if c.Topic == "" {
		c.Topic = DefaultTopic
	}
}

// Relay publishes committed events. Run it in one goroutine.
type Relay struct {
	cfg       Config
	log       Log
	pub       message.Publisher
	logger    *slog.Logger
	published prometheus.Counter
}

// New returns a relay from log to pub, registering its metrics with reg.
func New(cfg Config, log Log, pub message.Publisher, logger *slog.Logger, reg prometheus.Registerer) (*Relay, error) {
	cfg.setDefaults()
	r := &Relay{cfg: cfg, log: log, pub: pub, logger: logger,
		published: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hive_bus_events_published_total",
			Help: "Committed events published on the Watermill bus.",
		}),
	}
	if err := reg.Register(r.published); err != nil {
		return nil, fmt.Errorf("register relay metrics: %w", err)
	}
	return r, nil
}

// Run publishes every event committed after position after until ctx ends
// (then it returns nil) or publishing fails. Servers pass the store's head
// at start-up.
func (r *Relay) Run(ctx context.Context, after uint64) error {
	sub, err := r.log.SubscribeAll(ctx, after)
	if err != nil {
		return fmt.Errorf("relay: subscribe: %w", err)
	}
	defer sub.Close()
	var enc eventpb.Encoder
	prev := after
	for {
		env, err := sub.Next(ctx)
		if ctx.Err() != nil || errors.Is(err, events.ErrClosed) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("relay: read: %w", err)
		}
		payload, err := enc.Append(nil, &env)
		if err != nil {
			return fmt.Errorf("relay: %w", err)
		}
		msg := message.NewMessage(env.ID.String(), payload)
		msg.Metadata.Set(MetaStream, env.Stream)
		msg.Metadata.Set(MetaVersion, strconv.FormatUint(env.Version, 10))
		msg.Metadata.Set(MetaPosition, strconv.FormatUint(env.Position, 10))
		msg.Metadata.Set(MetaType, env.Type)
		msg.Metadata.Set(MetaPrevious, strconv.FormatUint(prev, 10))
		prev = env.Position
		if err := r.pub.Publish(r.cfg.Topic, msg); err != nil {
			if ctx.Err() != nil {
				return nil // the bus closed because we are shutting down
			}
			return fmt.Errorf("relay: publish event at position %d: %w", env.Position, err)
		}
		r.published.Inc()
	}
}
