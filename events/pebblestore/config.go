package pebblestore

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"hive/events"
)

// Defaults applied by Open to zero Config fields.
const (
	// DefaultMaxBatchEvents is the default Config.MaxBatchEvents.
	DefaultMaxBatchEvents = 1024
	// DefaultMaxBatchBytes is the default Config.MaxBatchBytes.
	DefaultMaxBatchBytes = 64 << 20
	// DefaultStreamCacheSize is the default Config.StreamCacheSize.
	DefaultStreamCacheSize = 100_000
	// DefaultCacheSize is the default Config.CacheSize: pebble allocates
	// the cache as it fills, not up front.
	DefaultCacheSize = 128 << 20
	// DefaultMemTableSize is the default Config.MemTableSize.
	DefaultMemTableSize = 64 << 20
	// DefaultMaxCommitDelay is the default Config.MaxCommitDelay.
	DefaultMaxCommitDelay = 500 * time.Microsecond
	// DefaultMinFreeBytes is the default Config.MinFreeBytes: room to flush
	// a memtable and to commit a group, both of their default sizes.
	DefaultMinFreeBytes = DefaultMemTableSize + DefaultMaxBatchBytes
)

// maxCommitDelayLimit bounds Config.MaxCommitDelay.
const maxCommitDelayLimit = 100 * time.Millisecond

// maxBatchBytesLimit keeps every pebble batch far below pebble's 4 GiB
// batch limit, which pebble enforces by panicking.
const maxBatchBytesLimit = 1 << 30

// Config configures a Store. The zero value of every field but Dir means
// its default.
type Config struct {
	// Dir is the directory holding the pebble database. It is created if
	// missing; only one Store may have it open at a time.
	Dir string
	// MaxEventSize is the largest event accepted, in bytes, as measured by
	// events.ValidateAppend (default events.DefaultMaxEventSize).
	MaxEventSize int
	// MaxBatchEvents is the most events the writer groups into one commit
	// (default DefaultMaxBatchEvents). A single append with more events is
	// still committed atomically, in a group of its own.
	MaxBatchEvents int
	// MaxBatchBytes bounds the encoded size of one commit group (default
	// DefaultMaxBatchBytes, at most 1 GiB). An append estimated larger than
	// this on its own is refused with events.ErrInvalidArgument.
	MaxBatchBytes int
	// StreamCacheSize is how many streams' heads (version and last hash) the
	// writer keeps in memory (default DefaultStreamCacheSize). A stream not
	// in the cache costs one index seek on its next append.
	StreamCacheSize int
	// CacheSize is the size of pebble's block cache in bytes (default
	// DefaultCacheSize).
	CacheSize int64
	// MemTableSize is the size of one pebble memtable in bytes (default
	// DefaultMemTableSize). Larger memtables mean fewer flushes.
	MemTableSize uint64
	// MaxCommitDelay is the longest the writer holds a group back from a
	// free committer, waiting for Append calls already under way to join it
	// and share its fsync (default DefaultMaxCommitDelay). It never waits
	// longer than the last commit took, nor when no other call is under
	// way. Negative disables the wait.
	MaxCommitDelay time.Duration
	// MinFreeBytes is the space the store leaves free on its disk (default
	// DefaultMinFreeBytes): an append or snapshot save that would leave
	// less is refused with events.ErrNoSpace and changes nothing, and
	// writes work again once space is freed. The reserve is what pebble
	// flushes its memtable into, and what it needs to open again (it writes
	// its log into tables then), so keep it above MemTableSize. Negative
	// disables the check; pebble may then run out of space itself, and the
	// store refuses every write until it is reopened.
	MinFreeBytes int64
	// Logger receives pebble's own log lines (Info as Debug, Errors as
	// Error) and the store's. Nil discards them.
	Logger *slog.Logger
	// AcceptLogLoss makes Open accept a damaged log instead of refusing
	// it: a write-ahead log that pebble cannot replay is cut where its
	// damage starts (the files from there on are kept aside, in a
	// directory named damaged-<time> in Dir), and the head mark is reset
	// to where the log now ends. Open logs what it accepted. The events
	// lost are lost; their positions are given to new events.
	AcceptLogLoss bool
	// Evidence are positions the log must reach, known from outside the
	// store, such as the positions of read models saved elsewhere. Open
	// refuses a log that ends before one of them as it refuses a log
	// short of its head mark, before it writes anything.
	Evidence []Evidence
}

// Evidence is a position the log reached once, known from outside the
// store.
type Evidence struct {
	// Position is the position; Source says where it is known from, for
	// errors and logs (for instance "the read model \"agents\" saved in
	// data/projections").
	Position uint64
	Source   string
}

func (c *Config) setDefaults() {
	if c.MaxEventSize == 0 {
		c.MaxEventSize = events.DefaultMaxEventSize
	}
	if c.MaxBatchEvents == 0 {
		c.MaxBatchEvents = DefaultMaxBatchEvents
	}
	if c.MaxBatchBytes == 0 {
		c.MaxBatchBytes = max(DefaultMaxBatchBytes, minBatchBytes(c.MaxEventSize))
	}
	if c.StreamCacheSize == 0 {
		c.StreamCacheSize = DefaultStreamCacheSize
	}
	if c.CacheSize == 0 {
		c.CacheSize = DefaultCacheSize
	}
	if c.MemTableSize == 0 {
		c.MemTableSize = DefaultMemTableSize
	}
	if c.MaxCommitDelay == 0 {
		c.MaxCommitDelay = DefaultMaxCommitDelay
	}
	if c.MinFreeBytes == 0 {
		c.MinFreeBytes = DefaultMinFreeBytes
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports every problem with c, joined.
func (c *Config) Validate() error {
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("Dir is empty"))
	}
	if c.MaxEventSize <= 0 {
		errs = append(errs, fmt.Errorf("MaxEventSize %d is not positive", c.MaxEventSize))
	}
	if c.MaxBatchEvents <= 0 {
		errs = append(errs, fmt.Errorf("MaxBatchEvents %d is not positive", c.MaxBatchEvents))
	}
	if c.MaxBatchBytes > maxBatchBytesLimit {
		errs = append(errs, fmt.Errorf("MaxBatchBytes %d is over the limit of %d", c.MaxBatchBytes, maxBatchBytesLimit))
	}
	if c.MaxEventSize > 0 && c.MaxBatchBytes < minBatchBytes(c.MaxEventSize) {
		errs = append(errs, fmt.Errorf("MaxBatchBytes %d cannot hold one event of MaxEventSize %d", c.MaxBatchBytes, c.MaxEventSize))
	}
	if c.StreamCacheSize <= 0 {
		errs = append(errs, fmt.Errorf("StreamCacheSize %d is not positive", c.StreamCacheSize))
	}
	if c.CacheSize <= 0 {
		errs = append(errs, fmt.Errorf("CacheSize %d is not positive", c.CacheSize))
	}
	if c.MaxCommitDelay > maxCommitDelayLimit {
		errs = append(errs, fmt.Errorf("MaxCommitDelay %v is over the limit of %v", c.MaxCommitDelay, maxCommitDelayLimit))
	}
	if c.MemTableSize < 1<<20 {
		errs = append(errs, fmt.Errorf("MemTableSize %d is under 1 MiB", c.MemTableSize))
	}
	return errors.Join(errs...)
}

// minBatchBytes is the smallest batch that holds one event of the largest
// size, with a name of the longest length.
func minBatchBytes(maxEventSize int) int {
	return maxEventSize + 2*events.MaxStreamNameLength + perEventOverhead
}
