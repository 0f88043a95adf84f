package esdbstore

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"hive/events"
)

// Resubscription backoff: the wait before subscribing again after a drop
// starts at minResubscribeDelay and doubles up to maxResubscribeDelay.
const (
	minResubscribeDelay = 50 * time.Millisecond
	maxResubscribeDelay = 2 * time.Second
)

// subscriptionBuffer is how many events a subscription's pump may receive
// ahead of its reader.
const subscriptionBuffer = 256

// filter is the server-side filter of the store's subscriptions to $all:
// the streams with its prefix, or without one every stream but
// EventStoreDB's system streams.
func (s *Store) filter() *kurrentdb.SubscriptionFilter {
	if s.cfg.StreamPrefix != "" {
		return &kurrentdb.SubscriptionFilter{Type: kurrentdb.StreamFilterType, Prefixes: []string{s.cfg.StreamPrefix}}
	}
	return &kurrentdb.SubscriptionFilter{Type: kurrentdb.StreamFilterType, Regex: `^[^$]`}
}

// subscription is a catch-up subscription to $all, filtered to Hive's
// streams, that resumes by itself from the last event it received when
// EventStoreDB drops it, and ends with an error only for what resuming
// cannot mend (access denied, an event it cannot read).
//
// A pump goroutine, owned by the subscription and ended by stop, receives
// from the client and hands events and the final error to Next through
// items.
type subscription struct {
	store    *Store
	items    chan item
	done     chan struct{} // closed by stop
	cancel   context.CancelFunc
	pumpDone chan struct{}
	once     sync.Once
	failed   error // the error that ended the subscription; Next's goroutine only
}

// item is an event, or the error that ends the subscription.
type item struct {
	env events.Envelope
	err error
}

// SubscribeAll implements events.Store. It subscribes before it returns,
// so that a server that cannot be reached, or refuses, fails it at once.
func (s *Store) SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stopWatch := context.AfterFunc(ctx, cancel)
	client, inner, err := s.subscribe(pctx, after)
	if !stopWatch() || err != nil {
		cancel()
		if err == nil {
			inner.Close()
		}
		return nil, s.translate(ctx, "subscribe to $all", errors.Join(err, ctx.Err()))
	}
	sub := &subscription{
		store: s, items: make(chan item, subscriptionBuffer), done: make(chan struct{}),
		cancel: cancel, pumpDone: make(chan struct{}),
	}
	s.mu.Lock()
	if s.subs == nil {
		s.mu.Unlock()
		cancel()
		inner.Close()
		return nil, events.ErrClosed
	}
	s.subs[sub] = struct{}{}
	s.mu.Unlock()
	go sub.pump(pctx, client, inner, after)
	return sub, nil
}

// subscribe opens a client subscription to $all after Hive's position
// after.
func (s *Store) subscribe(ctx context.Context, after uint64) (*kurrentdb.Client, *kurrentdb.Subscription, error) {
	client, err := s.conn.get()
	if err != nil {
		return nil, nil, err
	}
	inner, err := client.SubscribeToAll(ctx, kurrentdb.SubscribeToAllOptions{From: startAfter(after), Filter: s.filter()})
	if err != nil {
		s.conn.failed(client, err)
		return nil, nil, err
	}
	return client, inner, nil
}

// Next implements events.Subscription.
func (p *subscription) Next(ctx context.Context) (events.Envelope, error) {
	select {
	case <-p.done:
		return events.Envelope{}, events.ErrClosed
	default:
	}
	if p.failed != nil {
		return events.Envelope{}, p.failed
	}
	select {
	case it := <-p.items:
		if it.err != nil {
			p.failed = it.err
			return events.Envelope{}, it.err
		}
		return it.env, nil
	case <-p.done:
		return events.Envelope{}, events.ErrClosed
	case <-ctx.Done():
		return events.Envelope{}, ctx.Err()
	}
}

// Close implements events.Subscription.
func (p *subscription) Close() error {
	p.store.mu.Lock()
	delete(p.store.subs, p)
	p.store.mu.Unlock()
	p.stop()
	return nil
}

// stop ends the pump and waits for it.
func (p *subscription) stop() {
	p.once.Do(func() {
		close(p.done)
		p.cancel()
		<-p.pumpDone
	})
}

// pump receives events from inner, and from new subscriptions after each
// drop, until ctx ends or an error ends the subscription.
func (p *subscription) pump(ctx context.Context, client *kurrentdb.Client, inner *kurrentdb.Subscription, after uint64) {
	defer close(p.pumpDone)
	log := p.store.log
	for {
		err := p.receive(ctx, inner, &after)
		inner.Close()
		if ctx.Err() != nil {
			return
		}
		p.store.conn.failed(client, err)
		if final(err) {
			p.end(ctx, after, err)
			return
		}
		log.Warn("eventstoredb subscription dropped; resuming", "after", after, "err", err)
		if client, inner, err = p.resubscribe(ctx, after); err != nil {
			p.end(ctx, after, err)
			return
		}
	}
}

// receive hands inner's events after Hive's position *after to Next,
// advancing *after, until inner is dropped; it returns why.
func (p *subscription) receive(ctx context.Context, inner *kurrentdb.Subscription, after *uint64) error {
	for {
		ev := inner.Recv()
		switch {
		case ev.EventAppeared != nil:
			r := ev.EventAppeared.OriginalEvent()
			stream, ours := p.store.hiveName(r.StreamID)
			if !ours || (*after > 0 && r.Position.Prepare <= *after) {
				continue
			}
			e, err := fromRecorded(r, stream)
			if err != nil {
				return fmt.Errorf("%w: %w", errUnreadable, err)
			}
			if !p.send(ctx, item{env: e}) {
				return ctx.Err()
			}
			*after = e.Position
		case ev.CaughtUp != nil:
			p.store.log.Debug("eventstoredb subscription caught up", "after", *after)
		case ev.SubscriptionDropped != nil:
			return ev.SubscriptionDropped.Error
		}
	}
}

// resubscribe subscribes again after a drop, waiting longer after each
// failure, until it succeeds, ctx ends, or a failure is final.
func (p *subscription) resubscribe(ctx context.Context, after uint64) (*kurrentdb.Client, *kurrentdb.Subscription, error) {
	delay := minResubscribeDelay
	for {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, nil, ctx.Err()
		case <-t.C:
		}
		client, inner, err := p.store.subscribe(ctx, after)
		if err == nil || final(err) || ctx.Err() != nil {
			return client, inner, err
		}
		p.store.log.Debug("eventstoredb resubscription failed", "after", after, "err", err)
		delay = min(2*delay, maxResubscribeDelay)
	}
}

// end hands Next the error that ends the subscription after Hive's
// position after.
func (p *subscription) end(ctx context.Context, after uint64, err error) {
	p.send(ctx, item{err: p.store.translate(ctx, fmt.Sprintf("subscription to $all ended after position %d", after), err)})
}

// send hands it to Next, unless ctx ends first.
func (p *subscription) send(ctx context.Context, it item) bool {
	select {
	case p.items <- it:
		return true
	case <-ctx.Done():
		return false
	}
}

// final reports whether a subscription's failure is one that subscribing
// again cannot mend.
func final(err error) bool {
	switch code(err) {
	case kurrentdb.ErrorCodeAccessDenied, kurrentdb.ErrorCodeUnauthenticated:
		return true
	}
	return errors.Is(err, errUnreadable) || status.Code(err) == codes.InvalidArgument
}

// errUnreadable marks an event a subscription received but cannot turn
// into an envelope: receiving it again would fail the same way.
var errUnreadable = errors.New("unreadable event")
