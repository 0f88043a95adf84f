package timers

import (
	"container/heap"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/events"
)

// Kind says how to read the deadlines of one kind of entity from its events
// and how to wake it.
type Kind struct {
	// Name is the entity kind, the prefix of its streams.
	Name string
	// Deadlines returns the timers an event of the kind sets or cancels.
	Deadlines func(msg proto.Message) []actors.Deadline
	// Wake returns the command that asks an entity to decide what is due at
	// now.
	Wake func(now time.Time) actors.Body
}

// Index holds the pending deadlines of every entity, as their events set
// them, ordered by when each is next due. It is safe for concurrent use: one
// goroutine applies events, the watcher claims what is due and learns of
// earlier deadlines from Changed.
type Index struct {
	kinds map[string]Kind

	mu         sync.Mutex
	checkpoint uint64
	timers     map[actors.Ref]map[string]*timer
	due        dueHeap
	// changed has a value when the earliest due time changed since the
	// watcher last looked.
	changed chan struct{}
}

// NewIndex returns an empty index of the deadlines of kinds.
func NewIndex(kinds ...Kind) *Index {
	ix := &Index{kinds: make(map[string]Kind, len(kinds)), timers: make(map[actors.Ref]map[string]*timer),
		changed: make(chan struct{}, 1)}
	for _, k := range kinds {
		ix.kinds[k.Name] = k
	}
	return ix
}

// Name names the index as a read model.
func (ix *Index) Name() string { return "timers" }

// Checkpoint is the position of the last event applied.
func (ix *Index) Checkpoint() uint64 {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.checkpoint
}

// Apply records the deadlines one event sets or cancels.
func (ix *Index) Apply(c *events.Committed) error {
	_, err := ix.ApplyBatch([]*events.Committed{c})
	return err
}

// ApplyBatch records the deadlines a batch of events sets or cancels, in
// order, under one lock, and returns how many events it applied: all of
// them, or those before the one whose payload it could not decode.
func (ix *Index) ApplyBatch(batch []*events.Committed) (int, error) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	before, _ := ix.next()
	defer func() {
		if after, _ := ix.next(); !after.Equal(before) {
			select {
			case ix.changed <- struct{}{}:
			default:
			}
		}
	}()
	for i, c := range batch {
		ref, kind, ok := ix.owner(c.Stream)
		if ok {
			msg, err := c.Message()
			if err != nil {
				return i, err
			}
			for _, d := range kind.Deadlines(msg) {
				ix.set(ref, d)
			}
		}
		ix.checkpoint = c.Position
	}
	return len(batch), nil
}

func (ix *Index) set(ref actors.Ref, d actors.Deadline) {
	keys := ix.timers[ref]
	t := keys[d.Key]
	switch {
	case d.At.IsZero() && t != nil:
		heap.Remove(&ix.due, t.i)
		delete(keys, d.Key)
		if len(keys) == 0 {
			delete(ix.timers, ref)
		}
	case d.At.IsZero():
	case t != nil:
		t.next = d.At
		heap.Fix(&ix.due, t.i)
	default:
		if keys == nil {
			keys = make(map[string]*timer, 1)
			ix.timers[ref] = keys
		}
		t = &timer{ref: ref, next: d.At}
		keys[d.Key] = t
		heap.Push(&ix.due, t)
	}
}

// owner is the entity and kind of a stream, if the index knows its kind.
func (ix *Index) owner(stream string) (actors.Ref, Kind, bool) {
	name, id, ok := strings.Cut(stream, "-")
	k, known := ix.kinds[name]
	if !ok || !known {
		return actors.Ref{}, Kind{}, false
	}
	return actors.Ref{Kind: name, ID: id}, k, true
}

// Next returns when the earliest timer is due, if any is set.
func (ix *Index) Next() (time.Time, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return ix.next()
}

func (ix *Index) next() (time.Time, bool) {
	if len(ix.due) == 0 {
		return time.Time{}, false
	}
	return ix.due[0].next, true
}

// Changed receives a value when the earliest due time changed since the
// last receive: a watcher waiting for the old one should look again.
func (ix *Index) Changed() <-chan struct{} { return ix.changed }

// Claim returns the entities with a timer due at or before now, each once,
// and makes those timers due again at retry (after now) unless an event
// sets or cancels them first: a wake-up that fails, or that comes before
// the entity's state has caught up, is repeated then, not at once.
func (ix *Index) Claim(now, retry time.Time) []actors.Ref {
	if !retry.After(now) {
		retry = now.Add(time.Nanosecond)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var refs []actors.Ref
	seen := map[actors.Ref]bool{}
	for len(ix.due) > 0 && !ix.due[0].next.After(now) {
		t := ix.due[0]
		if !seen[t.ref] {
			seen[t.ref] = true
			refs = append(refs, t.ref)
		}
		t.next = retry
		heap.Fix(&ix.due, 0)
	}
	return refs
}

// Len is the number of pending deadlines.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.due)
}
