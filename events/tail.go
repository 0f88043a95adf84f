package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// TailLog is the part of a store a Tail and its followers read.
type TailLog interface {
	PageReader
	SubscribeAll(ctx context.Context, after uint64) (Subscription, error)
}

// TailConfig configures a Tail.
type TailConfig struct {
	// Ring is how many of the newest events the tail keeps for its
	// followers (default DefaultTailRing); a follower further behind reads
	// from the store.
	Ring int
	// Logger logs failed reads (default: discard).
	Logger *slog.Logger
}

// DefaultTailRing is how many of the newest events a tail keeps by default.
const DefaultTailRing = 4096

func (c *TailConfig) setDefaults() {
	if c.Ring == 0 {
		c.Ring = DefaultTailRing
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports an invalid setting.
func (c TailConfig) Validate() error {
	if c.Ring < 0 {
		return errors.New("events: TailConfig.Ring must not be negative")
	}
	return nil
}

// Tail is a process's one reader of the log: it reads each committed event
// once, as it commits, and keeps the newest in a ring that every follower
// (Follow) reads, as one Committed, whose payload they decode once between
// them. It never waits for a follower: one that starts behind the ring, or
// falls behind it, reads from the store until it catches up, so that each
// follower gets every event once and in order, and none holds up the
// others.
type Tail struct {
	cfg  TailConfig
	log  TailLog
	ring []atomic.Pointer[Committed] // the event of seq s at s % len
	seq  atomic.Uint64               // seq of the newest event in the ring

	mu        sync.Mutex
	followers atomic.Pointer[[]*Follower] // replaced, never changed, under mu
	done      chan struct{}               // closed when Run returns
}

// NewTail returns a tail of log; it hands out events once Run runs.
func NewTail(log TailLog, cfg TailConfig) (*Tail, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	t := &Tail{cfg: cfg, log: log, ring: make([]atomic.Pointer[Committed], cfg.Ring), done: make(chan struct{})}
	t.followers.Store(&[]*Follower{})
	return t, nil
}

// Follow returns a follower of the events after position after. Close it
// when done. Follow is safe for concurrent use, also while Run runs.
func (t *Tail) Follow(after uint64) *Follower {
	f := &Follower{tail: t, after: after, behind: true, ready: make(chan struct{}, 1)}
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.followers.Load()
	list := append(append(make([]*Follower, 0, len(old)+1), old...), f)
	t.followers.Store(&list)
	return f
}

// unfollow forgets f.
func (t *Tail) unfollow(f *Follower) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := *t.followers.Load()
	list := make([]*Follower, 0, len(old))
	for _, g := range old {
		if g != f {
			list = append(list, g)
		}
	}
	t.followers.Store(&list)
}

// Tail retry limits: how long it waits before following the log again
// after a read failed.
const (
	tailFirstRetry = 50 * time.Millisecond
	tailMaxRetry   = 5 * time.Second
)

// Run hands every event committed after position after to the followers,
// in order, until ctx ends or the store closes; then it returns nil, and
// the followers' Stopped channel closes. A failed read is logged, and the
// log followed again from the last event read, after a pause; meanwhile
// the followers read from the store. Call Run once.
func (t *Tail) Run(ctx context.Context, after uint64) error {
	defer close(t.done)
	retry := tailFirstRetry
	for {
		err := t.follow(ctx, &after)
		if ctx.Err() != nil || errors.Is(err, ErrClosed) {
			return nil
		}
		t.cfg.Logger.Warn("follow the event log; trying again", "after", after, "in", retry, "err", err)
		t.pokeAll()
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(retry):
		}
		retry = min(2*retry, tailMaxRetry)
	}
}

// Start runs Run in a goroutine until ctx ends or the returned stop is
// called; stop waits for Run to return.
func (t *Tail) Start(ctx context.Context, after uint64) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	go func() { _ = t.Run(ctx, after) }()
	return func() {
		cancel()
		<-t.done
	}
}

// follow subscribes to the log after *after and hands out each event,
// moving *after, until reading fails.
func (t *Tail) follow(ctx context.Context, after *uint64) error {
	sub, err := t.log.SubscribeAll(ctx, *after)
	if err != nil {
		return fmt.Errorf("subscribe: %w", err)
	}
	defer sub.Close()
	for {
		env, err := sub.Next(ctx)
		if err != nil {
			return err
		}
		t.put(NewCommitted(env, *after))
		*after = env.Position
	}
}

// put adds c to the ring as the newest event and wakes the followers.
func (t *Tail) put(c *Committed) {
	c.seq = t.seq.Load() + 1
	t.ring[c.seq%uint64(len(t.ring))].Store(c)
	t.seq.Store(c.seq)
	for _, f := range *t.followers.Load() {
		f.signal()
	}
}

// at returns the event of seq s if the ring still holds it.
func (t *Tail) at(s uint64) *Committed {
	c := t.ring[s%uint64(len(t.ring))].Load()
	if c == nil || c.seq != s {
		return nil
	}
	return c
}

// pokeAll sends every follower to the store: the tail cannot read the log.
func (t *Tail) pokeAll() {
	for _, f := range *t.followers.Load() {
		f.poked.Store(true)
		f.signal()
	}
}
