package pgstore

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"hive/events"
)

// Defaults applied by Open to zero Config fields.
const (
	// DefaultMaxConns is the default Config.MaxConns.
	DefaultMaxConns = 8
	// DefaultConnectTimeout is the default Config.ConnectTimeout.
	DefaultConnectTimeout = 5 * time.Second
	// DefaultWriteTimeout is the default Config.WriteTimeout.
	DefaultWriteTimeout = 10 * time.Second
	// DefaultMaxBatchEvents is the default Config.MaxBatchEvents.
	DefaultMaxBatchEvents = 1024
	// DefaultMaxBatchBytes is the default Config.MaxBatchBytes.
	DefaultMaxBatchBytes = 64 << 20
	// DefaultMaxCommitDelay is the default Config.MaxCommitDelay.
	DefaultMaxCommitDelay = time.Millisecond
	// DefaultPollInterval is the default Config.PollInterval.
	DefaultPollInterval = time.Second
)

// maxBatchBytesLimit keeps a transaction's parameters well below the 1 GiB
// PostgreSQL allows one protocol message.
const maxBatchBytesLimit = 256 << 20

// Config configures a Store. The zero value of every field but URL means
// its default.
type Config struct {
	// URL is the database's postgres:// (or postgresql://) URL, or a
	// key=value connection string, as libpq and pgx read them. The
	// database must exist; Open creates the schema "hive" in it.
	URL string
	// Logger receives the store's reports (default: discarded).
	Logger *slog.Logger
	// MaxEventSize is the largest event accepted, in bytes, as measured by
	// events.ValidateAppend (default events.DefaultMaxEventSize).
	MaxEventSize int
	// MaxConns is the most connections the store opens for reads, appends
	// and snapshots (default DefaultMaxConns). Appends use one at a time;
	// the subscription listener has one more of its own.
	MaxConns int32
	// ConnectTimeout bounds each attempt to connect (default
	// DefaultConnectTimeout), unless the URL sets connect_timeout: Open
	// fails within it when the server cannot be reached.
	ConnectTimeout time.Duration
	// WriteTimeout bounds one append transaction, from taking a
	// connection to its commit (default DefaultWriteTimeout). An append
	// that overruns it fails with events.ErrUnavailable: its outcome is
	// unknown, as after a lost connection.
	WriteTimeout time.Duration
	// MaxBatchEvents is how many events the writer groups into one
	// transaction before it stops adding appends to it (default
	// DefaultMaxBatchEvents). A single append with more is still committed
	// atomically, in a transaction of its own. 1 makes every append a
	// transaction of its own.
	MaxBatchEvents int
	// MaxBatchBytes is, likewise, how large the events of one transaction
	// may grow, payloads, types, metadata and stream names counted
	// (default DefaultMaxBatchBytes, at most 256 MiB). A single append
	// larger than this is refused with events.ErrInvalidArgument.
	MaxBatchBytes int
	// MaxCommitDelay is the longest the writer holds a transaction back,
	// waiting for Append calls already under way to join it and share its
	// commit (default DefaultMaxCommitDelay). It never waits longer than
	// the last transaction took, nor when no other call is under way.
	// Negative disables the wait.
	MaxCommitDelay time.Duration
	// PollInterval is how often subscriptions look for events whose
	// notification they missed (default DefaultPollInterval). Commits
	// wake them at once through LISTEN/NOTIFY; the poll only covers a
	// notification lost while the listening connection was down.
	PollInterval time.Duration
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxEventSize == 0 {
		c.MaxEventSize = events.DefaultMaxEventSize
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.MaxBatchEvents == 0 {
		c.MaxBatchEvents = DefaultMaxBatchEvents
	}
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = DefaultMaxBatchBytes
	}
	if c.MaxCommitDelay == 0 {
		c.MaxCommitDelay = DefaultMaxCommitDelay
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
}

// Validate reports every field that is out of range, joined.
func (c *Config) Validate() error {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("URL is empty"))
	}
	if c.MaxEventSize < 0 {
		errs = append(errs, fmt.Errorf("MaxEventSize %d is negative", c.MaxEventSize))
	}
	if c.MaxConns < 0 {
		errs = append(errs, fmt.Errorf("MaxConns %d is negative", c.MaxConns))
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"ConnectTimeout", c.ConnectTimeout}, {"WriteTimeout", c.WriteTimeout}, {"PollInterval", c.PollInterval}} {
		if d.v < 0 {
			errs = append(errs, fmt.Errorf("%s %v is negative", d.name, d.v))
		}
	}
	if c.MaxBatchEvents < 0 {
		errs = append(errs, fmt.Errorf("MaxBatchEvents %d is negative", c.MaxBatchEvents))
	}
	if c.MaxBatchBytes < 0 || c.MaxBatchBytes > maxBatchBytesLimit {
		errs = append(errs, fmt.Errorf("MaxBatchBytes %d is not between 0 and %d", c.MaxBatchBytes, maxBatchBytesLimit))
	}
	return errors.Join(errs...)
}
