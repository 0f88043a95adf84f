package live

import (
	"errors"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/prometheus/client_golang/prometheus"
)

// Config configures a Hub.
type Config struct {
	// Subscriber delivers the messages of Topic. Required.
	Subscriber message.Subscriber
	// Topic carries the read-model changes. Required.
	Topic string
	// Ring is how many of the newest changes the hub keeps for resuming
	// clients (default 16384).
	Ring int
	// RingBytes bounds the bytes of the frames the ring keeps beyond the
	// newest one (default 64 MiB); a client resuming from a frame dropped
	// for it is told to resync.
	RingBytes int
	// ClientBuffer is how many changes may wait for one client before it
	// is dropped (default 1024).
	ClientBuffer int
	// Heartbeat is the time between two `: ping` comments on an idle
	// stream (default 15 s).
	Heartbeat time.Duration
	// Logger logs malformed messages (default: discard).
	Logger *slog.Logger
	// Registerer receives the hub's metrics. Required.
	Registerer prometheus.Registerer
}

func (c *Config) setDefaults() {
	if c.Ring == 0 {
		c.Ring = 16384
	}
	if c.RingBytes == 0 {
		c.RingBytes = 64 << 20
	}
	if c.ClientBuffer == 0 {
		c.ClientBuffer = 1024
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 15 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports every invalid setting.
func (c Config) Validate() error {
	var errs []error
	if c.Subscriber == nil {
		errs = append(errs, errors.New("live: Subscriber is required"))
	}
	if c.Topic == "" {
		errs = append(errs, errors.New("live: Topic is required"))
	}
	if c.Registerer == nil {
		errs = append(errs, errors.New("live: Registerer is required"))
	}
	if c.Ring < 0 || c.RingBytes < 0 || c.ClientBuffer < 0 || c.Heartbeat < 0 {
		errs = append(errs, errors.New("live: Ring, RingBytes, ClientBuffer and Heartbeat must not be negative"))
	}
	return errors.Join(errs...)
}
