// Package relay publishes the events committed to the store to a Watermill
// publisher: the bus that carries them to live consumers (dashboards now,
// other processes later).
//
// # Delivery
//
// The relay follows the store's ordered log from the position it is given
// (the head, when a server starts), as a follower of the process's one
// reader of the log (events.Tail), and publishes each event once, in
// position order, as a message whose UUID is the event id, whose payload is
// the event's hivev1.StoredEvent encoding (see eventpb) and whose metadata
// holds its stream, version, position and type, and the position of the
// event before it. Messages are not replayed across restarts: a consumer
// that needs history reads the store, resuming after the position of the
// last message it handled. With a publisher that blocks until
// acknowledgement (the GoChannel configuration Hive uses), consumers see
// events in order.
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

// Config configures a Relay.
type Config struct {
	// Topic is where events are published (default DefaultTopic).
	Topic string
	// Tail, if set, is the process's one reader of the log, which the
	// relay follows; without it the relay runs a tail of its own over the
	// store.
	Tail *events.Tail
}

// batch is the most events the relay takes at once.
const batch = 256

func (c *Config) setDefaults() {
	if c.Topic == "" {
		c.Topic = DefaultTopic
	}
}

// Relay publishes committed events. Run it in one goroutine.
type Relay struct {
	cfg       Config
	log       events.TailLog
	pub       message.Publisher
	logger    *slog.Logger
	published prometheus.Counter
}

// New returns a relay from log to pub, registering its metrics with reg.
func New(cfg Config, log events.TailLog, pub message.Publisher, logger *slog.Logger, reg prometheus.Registerer) (*Relay, error) {
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
	tail := r.cfg.Tail
	if tail == nil {
		var err error
		if tail, err = events.NewTail(r.log, events.TailConfig{Logger: r.logger}); err != nil {
			return err
		}
		defer tail.Start(ctx, after)()
	}
	f := tail.Follow(after)
	defer f.Close()
	var enc eventpb.Encoder
	var page []*events.Committed
	for {
		var err error
		page, err = f.Next(ctx, page[:0], batch)
		if ctx.Err() != nil || errors.Is(err, events.ErrClosed) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("relay: read: %w", err)
		}
		for _, c := range page {
			if err := r.publish(ctx, &enc, c); err != nil || ctx.Err() != nil {
				return err
			}
		}
	}
}

// publish publishes c. It returns nil if ctx ended meanwhile.
func (r *Relay) publish(ctx context.Context, enc *eventpb.Encoder, c *events.Committed) error {
	payload, err := enc.Append(nil, &c.Envelope)
	if err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	msg := message.NewMessage(c.ID.String(), payload)
	msg.Metadata.Set(MetaStream, c.Stream)
	msg.Metadata.Set(MetaVersion, strconv.FormatUint(c.Version, 10))
	msg.Metadata.Set(MetaPosition, strconv.FormatUint(c.Position, 10))
	msg.Metadata.Set(MetaType, c.Type)
	msg.Metadata.Set(MetaPrevious, strconv.FormatUint(c.Prev, 10))
	if err := r.pub.Publish(r.cfg.Topic, msg); err != nil {
		if ctx.Err() != nil {
			return nil // the bus closed because we are shutting down
		}
		return fmt.Errorf("relay: publish event at position %d: %w", c.Position, err)
	}
	r.published.Inc()
	return nil
}
