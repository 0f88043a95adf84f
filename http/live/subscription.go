package live

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"
)

// Subscription is one client's stream of the changes of its topics.
type Subscription struct {
	hub    *Hub
	topics []string
	// start is written first: the hello, the changes after the client's
	// Last-Event-ID, or the resync event of a stream that cannot resume.
	start [][]byte
	// queue holds the live changes; the hub never waits to add one.
	queue *queue
	// gone is closed when the hub drops the subscription, reason says why
	// ("" when the hub stopped); both are set under the hub's lock.
	gone   chan struct{}
	reason string
}

// Subscribe registers a stream of the changes of topics (see ParseTopics)
// after lastEventID, or after the newest change if lastEventID is empty. It
// waits for Run to start, and fails with ErrClosed once Run has returned.
// Stream the subscription, then Close it.
func (h *Hub) Subscribe(ctx context.Context, topics []string, lastEventID string) (*Subscription, error) {
	select {
	case <-h.started:
	case <-ctx.Done():
		return nil, fmt.Errorf("live: wait for the hub: %w", ctx.Err())
	}
	s := &Subscription{hub: h, topics: topics, queue: newQueue(h.cfg.ClientBuffer), gone: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, ErrClosed
	}
	s.start = append(s.start, helloFrame(h.epoch, h.ring.last))
	if lastEventID != "" {
		backlog, reason := h.since(lastEventID, s.follows)
		if reason != "" {
			h.metrics.dropped.WithLabelValues(reason).Inc()
			s.start = [][]byte{resyncFrame(reason)}
			close(s.gone)
			return s, nil
		}
		for _, f := range backlog {
			s.start = append(s.start, f.text)
		}
		h.metrics.delivered.Add(float64(len(backlog)))
	}
	h.subs[s] = struct{}{}
	for _, t := range topics {
		if h.byTopic[t] == nil {
			h.byTopic[t] = map[*Subscription]struct{}{}
		}
		h.byTopic[t][s] = struct{}{}
	}
	h.metrics.clients.Inc()
	return s, nil
}

// since returns the held frames after the event id whose topic follows
// accepts, or the reason to resync. h.mu is held.
func (h *Hub) since(id string, follows func(string) bool) ([]*frame, string) {
	epoch, seq, ok := parseID(id)
	if !ok || epoch != h.epoch || seq > h.ring.last {
		return nil, ReasonUnknownID
	}
	frames, ok := h.ring.since(seq, follows)
	if !ok {
		return nil, ReasonTooOld
	}
	return frames, ""
}

func (s *Subscription) follows(topic string) bool { return slices.Contains(s.topics, topic) }

// Close unregisters the subscription; it may be called more than once.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	s.hub.forget(s)
}

// Sink is where a stream is written: frames with Write, sent with Flush.
type Sink interface {
	io.Writer
	Flush() error
}

// Stream writes the subscription to w until ctx ends, the hub drops it
// (ending with a resync event if it fell behind) or a write fails, which
// it returns. The frames waiting are written together and flushed, and a
// `: ping` comment is written when the stream was idle for the hub's
// Heartbeat.
func (s *Subscription) Stream(ctx context.Context, w Sink) error {
	defer s.Close()
	for _, text := range s.start {
		if _, err := w.Write(text); err != nil {
			return fmt.Errorf("live: write: %w", err)
		}
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("live: flush: %w", err)
	}
	s.start = nil
	beat := time.NewTicker(s.hub.cfg.Heartbeat)
	defer beat.Stop()
	var spare []*frame
	for {
		var err error
		select {
		case <-ctx.Done():
			return nil
		case <-s.gone:
			return s.end(w)
		case <-s.queue.ready:
			frames := s.queue.take(spare)
			err = write(w, frames)
			spare = recycle(frames)
		case <-beat.C:
			_, err = w.Write(ping)
		}
		if err == nil {
			err = w.Flush()
		}
		if err != nil {
			return fmt.Errorf("live: write: %w", err)
		}
		beat.Reset(s.hub.cfg.Heartbeat)
	}
}

// write writes frames, in order.
func write(w Sink, frames []*frame) error {
	for _, f := range frames {
		if _, err := w.Write(f.text); err != nil {
			return err
		}
	}
	return nil
}

// end writes the resync event of a dropped subscription, best effort.
func (s *Subscription) end(w Sink) error {
	if s.reason == "" {
		return nil
	}
	if _, err := w.Write(resyncFrame(s.reason)); err != nil {
		return fmt.Errorf("live: write resync: %w", err)
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("live: flush resync: %w", err)
	}
	return nil
}
