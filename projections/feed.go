package projections

import (
	"sync"
	"time"

	"hive/events"
)

// maxFeed is how many decisions the feed keeps.
const maxFeed = 1000

// FeedItem is one decision of the coordination feed.
type FeedItem struct {
	Position uint64    `json:"position"`
	At       time.Time `json:"at"`
	// Kind is the kind of entity that decided: agent, swarm or workflow.
	Kind     string `json:"kind"`
	EntityID string `json:"entity_id"`
	// Type is the event's name in snake case, e.g. "task_assigned".
	Type    string `json:"type"`
	Summary string `json:"summary"`
	// Reason is why, as the decision recorded it.
	Reason        string `json:"reason"`
	Principal     string `json:"principal"`
	CorrelationID string `json:"correlation_id"`
}

// Feed is the read model of the coordination feed: the newest decisions
// with their reasons (assignments and their scores, retries, failures,
// lost agents, leaders, consensus, approvals, budgets, runs' ends). It is
// safe for concurrent use: one projection goroutine applies, any number of
// readers read.
type Feed struct {
	mu         sync.RWMutex
	checkpoint uint64
	items      []FeedItem // a ring of up to maxFeed items
	next       int        // where the next item goes once the ring is full
	added      int        // items added since the last call to Changed
}

var (
	_ Live       = (*Feed)(nil)
	_ Persistent = (*Feed)(nil)
)

// NewFeed returns an empty feed.
func NewFeed() *Feed { return &Feed{} }

// Name implements Projection.
func (f *Feed) Name() string { return "feed" }

// Checkpoint implements Projection.
func (f *Feed) Checkpoint() uint64 {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.checkpoint
}

// Apply implements Projection.
func (f *Feed) Apply(c *events.Committed) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applyOne(c)
}

// ApplyBatch implements Batcher.
func (f *Feed) ApplyBatch(batch []*events.Committed) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return applyEach(batch, f.applyOne)
}

// applyOne applies c; f.mu is held.
func (f *Feed) applyOne(c *events.Committed) error {
	env := &c.Envelope
	if describe := decisions[env.Type]; describe != nil {
		msg, err := c.Message()
		if err != nil {
			return err
		}
		d := describe(msg)
		f.add(FeedItem{Position: env.Position, At: env.RecordedAt, Kind: d.kind, EntityID: d.entity, Type: snakeType(env.Type),
			Summary: d.summary, Reason: d.reason, Principal: env.Principal, CorrelationID: env.CorrelationID})
	}
	f.checkpoint = env.Position
	return nil
}

func (f *Feed) add(it FeedItem) {
	f.added = min(f.added+1, maxFeed)
	if len(f.items) < maxFeed {
		f.items = append(f.items, it)
		return
	}
	f.items[f.next] = it
	f.next = (f.next + 1) % maxFeed
}

// newest returns the i-th newest item, from 0.
func (f *Feed) newest(i int) FeedItem {
	return f.items[(f.next+len(f.items)-1-i)%len(f.items)]
}

// Items returns up to limit decisions, newest first.
func (f *Feed) Items(limit int) []FeedItem {
	f.mu.RLock()
	defer f.mu.RUnlock()
	n := min(limit, len(f.items))
	out := make([]FeedItem, 0, n)
	for i := range n {
		out = append(out, f.newest(i))
	}
	return out
}

// Changed implements Live: the decisions recorded since the last call,
// oldest first, each with its event's position as id.
func (f *Feed) Changed(dst []Change) ([]Change, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var err error
	for ; f.added > 0; f.added-- {
		it := f.newest(f.added - 1)
		if dst, err = appendChange(dst, TopicFeed, it.Position, positionID(it.Position), it); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// feedState is the saved state of Feed.
type feedState struct {
	Checkpoint uint64     `json:"checkpoint"`
	Items      []FeedItem `json:"items"` // oldest first
}

// MarshalState implements Persistent.
func (f *Feed) MarshalState() ([]byte, error) {
	f.mu.RLock()
	defer f.mu.RUnlock()
	st := feedState{Checkpoint: f.checkpoint, Items: make([]FeedItem, 0, len(f.items))}
	for i := len(f.items) - 1; i >= 0; i-- {
		st.Items = append(st.Items, f.newest(i))
	}
	return encodeState(f.Name(), st)
}

// UnmarshalState implements Persistent.
func (f *Feed) UnmarshalState(data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.checkpoint, f.items, f.next, f.added = 0, nil, 0, 0
	var st feedState
	if err := decodeState(f.Name(), data, &st); err != nil {
		return err
	}
	for _, it := range st.Items[max(0, len(st.Items)-maxFeed):] {
		f.add(it)
	}
	f.checkpoint, f.added = st.Checkpoint, 0
	return nil
}
