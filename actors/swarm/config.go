package swarm

import (
	"errors"
	"fmt"
	"time"
)

// Config is what a swarm decides with that its events do not record: the
// server's defaults. A decision records what it made of them (an
// assignment records its deadline), so replaying a swarm's events never
// needs them.
type Config struct {
	// TaskTimeout bounds an attempt of a task submitted without a timeout
	// of its own (0: such an attempt never times out), so that an agent
	// that heartbeats but never reports cannot hold a task forever.
	TaskTimeout time.Duration
}

// Validate reports every invalid setting.
func (c Config) Validate() error {
	var errs []error
	if c.TaskTimeout < 0 || c.TaskTimeout > MaxTimeout {
		errs = append(errs, fmt.Errorf("swarm: TaskTimeout must be between 0 and %s", MaxTimeout))
	}
	return errors.Join(errs...)
}

// New returns a swarm not yet created that decides with cfg, for the
// runtime to replay its events into.
func New(cfg Config) *State { return &State{cfg: cfg} }

// timeoutOf is how long an attempt of t may run: its own timeout, or the
// default; 0 is no limit.
func (s *State) timeoutOf(t *task) time.Duration {
	if t.timeout > 0 {
		return t.timeout
	}
	return s.cfg.TaskTimeout
}
