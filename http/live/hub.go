package live

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"

	"hive/projections"
)

// ErrClosed is returned by Subscribe once the hub has stopped.
var ErrClosed = errors.New("live: hub stopped")

// Reasons a stream ends with a resync event. hive_live_clients_dropped_total
// lists each from the start (newMetrics).
const (
	// ReasonSlow: the client's buffer filled; it fell too far behind.
	ReasonSlow = "slow"
	// ReasonTooOld: the Last-Event-ID is older than the changes kept.
	ReasonTooOld = "too_old"
	// ReasonUnknownID: the Last-Event-ID is not one of this hub's ids (an
	// earlier server's, or malformed).
	ReasonUnknownID = "unknown_id"
)

// Hub fans read-model changes out to live streams. Run it in one goroutine;
// Subscribe from any.
type Hub struct {
	cfg     Config
	epoch   string
	metrics *metrics

	started     chan struct{}
	startedOnce sync.Once

	mu      sync.Mutex
	ring    ring
	byTopic map[string]map[*Subscription]struct{}
	subs    map[*Subscription]struct{}
	closed  bool
}

// New returns a hub; it receives changes once Run is running.
func New(cfg Config) (*Hub, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(cfg.Registerer)
	if err != nil {
		return nil, err
	}
	return &Hub{cfg: cfg, epoch: rand.Text()[:12], metrics: m, started: make(chan struct{}),
		ring: newRing(cfg.Ring, cfg.RingBytes), byTopic: map[string]map[*Subscription]struct{}{}, subs: map[*Subscription]struct{}{}}, nil
}

// Epoch identifies this hub's ids: a stream resumes only from an id of the
// same epoch.
func (h *Hub) Epoch() string { return h.epoch }

// Run receives changes until ctx ends or the subscription closes, then ends
// every stream. Call it once.
func (h *Hub) Run(ctx context.Context) error {
	defer h.stop()
	msgs, err := h.cfg.Subscriber.Subscribe(ctx, h.cfg.Topic)
	if err != nil {
		return fmt.Errorf("live: subscribe to %s: %w", h.cfg.Topic, err)
	}
	h.startedOnce.Do(func() { close(h.started) })
	for {
		select {
		case <-ctx.Done():
			return nil
		case msg, ok := <-msgs:
			if !ok {
				return nil
			}
			h.receive(msg)
			msg.Ack()
		}
	}
}

// receive numbers, keeps and hands out the changes of msg, routed by the
// topics its metadata lists (projections.SplitChanges): their JSON is not
// parsed. A malformed message is logged and skipped: redelivering it would
// not mend it.
func (h *Hub) receive(msg *message.Message) {
	raws, err := projections.SplitChanges(msg)
	if err != nil {
		h.cfg.Logger.Error("skip a malformed live message", "uuid", msg.UUID, "position", msg.Metadata.Get(projections.MetaPosition), "err", err)
		return
	}
	// Only this goroutine advances h.ring.last, so it may read it unlocked.
	frames := make([]*frame, len(raws))
	for i, raw := range raws {
		frames[i] = changeFrame(h.epoch, h.ring.last+uint64(i)+1, raw.Topic, raw.JSON)
	}
	h.publish(frames)
}

// publish keeps frames and hands each to the subscriptions of its topic.
func (h *Hub) publish(frames []*frame) {
	delivered := 0
	h.mu.Lock()
	for _, f := range frames {
		h.ring.push(f)
		for s := range h.byTopic[f.topic] {
			if s.queue.push(f) {
				delivered++
			} else {
				h.drop(s, ReasonSlow)
			}
		}
	}
	held, size := h.ring.held(), h.ring.bytes
	h.mu.Unlock()
	h.metrics.received.Add(float64(len(frames)))
	h.metrics.delivered.Add(float64(delivered))
	h.metrics.ring.Set(float64(held))
	h.metrics.ringBytes.Set(float64(size))
}

// drop ends s's stream: with a resync event for reason, or quietly for "".
// h.mu is held.
func (h *Hub) drop(s *Subscription, reason string) {
	h.forget(s)
	s.reason = reason
	close(s.gone)
	if reason != "" {
		h.metrics.dropped.WithLabelValues(reason).Inc()
	}
}

// forget unregisters s, if it is registered. h.mu is held.
func (h *Hub) forget(s *Subscription) {
	if _, ok := h.subs[s]; !ok {
		return
	}
	delete(h.subs, s)
	for _, t := range s.topics {
		delete(h.byTopic[t], s)
		if len(h.byTopic[t]) == 0 {
			delete(h.byTopic, t)
		}
	}
	h.metrics.clients.Dec()
}

// stop ends every stream and refuses new ones.
func (h *Hub) stop() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for s := range h.subs {
		h.drop(s, "")
	}
	h.startedOnce.Do(func() { close(h.started) })
}
