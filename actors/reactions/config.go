package reactions

import (
	"errors"
	"time"

	"hive/events"
)

// Config configures a Router.
type Config struct {
	// Tail, if set, is the process's one reader of the log, which the
	// router follows; without it the router runs a tail of its own over
	// the store.
	Tail *events.Tail
	// PageSize is how many events the router reads and reacts to at once
	// (default 256).
	PageSize int
	// Parallel is how many entities a page's reactions go to at once
	// (default 64).
	Parallel int
	// CheckpointEvery and CheckpointInterval: the checkpoint is saved after
	// the page that brings the events handled since the last save to
	// CheckpointEvery (default 200), or that comes CheckpointInterval
	// (default one second) after it. A restart sends again at most the
	// reactions to those events and one page more.
	CheckpointEvery    int
	CheckpointInterval time.Duration
	// InitialBackoff and MaxBackoff bound the wait between retries of a
	// reaction that failed without a decision (default 50ms and 5s).
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
}

func (c *Config) setDefaults() {
	if c.PageSize == 0 {
		c.PageSize = 256
	}
	if c.Parallel == 0 {
		c.Parallel = 64
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = 200
	}
	if c.CheckpointInterval == 0 {
		c.CheckpointInterval = time.Second
	}
	if c.InitialBackoff == 0 {
		c.InitialBackoff = 50 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 5 * time.Second
	}
}

// Validate reports every invalid setting.
func (c Config) Validate() error {
	var errs []error
	if c.PageSize < 1 || c.PageSize > 10_000 {
		errs = append(errs, errors.New("reactions: PageSize must be between 1 and 10000"))
	}
	if c.Parallel < 1 {
		errs = append(errs, errors.New("reactions: Parallel must be positive"))
	}
	if c.CheckpointEvery < 1 {
		errs = append(errs, errors.New("reactions: CheckpointEvery must be positive"))
	}
	if c.CheckpointInterval < 0 || c.InitialBackoff < 0 || c.MaxBackoff < c.InitialBackoff {
		errs = append(errs, errors.New("reactions: durations must not be negative, and MaxBackoff at least InitialBackoff"))
	}
	return errors.Join(errs...)
}
