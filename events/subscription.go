package events

import (
	"context"
	"sync/atomic"
)

// PageReader is the part of a store a catch-up subscription reads from.
type PageReader interface {
	ReadAll(ctx context.Context, after uint64, limit int) ([]Envelope, error)
}

// subscription is a catch-up subscription over a store's ordered log: it
// reads pages after the last position it delivered, and when a page comes
// back empty it waits for the store's next commit. Because catching up and
// following live are the same read, there is no switch-over at which an
// event could be missed or delivered twice.
type subscription struct {
	store    PageReader
	commits  *Signal
	done     <-chan struct{}
	after    uint64
	pageSize int
	page     []Envelope
	closed   atomic.Bool
}

// NewSubscription returns a Subscription delivering the events of r after
// position after. commits must be broadcast after every commit, and done
// closed when the store closes. Store backends use it to implement
// SubscribeAll.
func NewSubscription(r PageReader, commits *Signal, done <-chan struct{}, after uint64, pageSize int) Subscription {
	return &subscription{store: r, commits: commits, done: done, after: after, pageSize: pageSize}
}

func (s *subscription) Next(ctx context.Context) (Envelope, error) {
	for len(s.page) == 0 {
		if s.closed.Load() {
			return Envelope{}, ErrClosed
		}
		wake := s.commits.Wait()
		page, err := s.store.ReadAll(ctx, s.after, s.pageSize)
		if err != nil {
			return Envelope{}, err
		}
		if len(page) > 0 {
			s.page = page
			break
		}
		select {
		case <-wake:
		case <-s.done:
			return Envelope{}, ErrClosed
		case <-ctx.Done():
			return Envelope{}, ctx.Err()
		}
	}
	e := s.page[0]
	s.page = s.page[1:]
	s.after = e.Position
	return e, nil
}

func (s *subscription) Close() error {
	s.closed.Store(true)
	return nil
}
