package timers

import (
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
// them. It is safe for concurrent use: one goroutine applies events, the
// watcher reads.
type Index struct {
	kinds map[string]Kind

	mu         sync.Mutex
	checkpoint uint64
	timers     map[actors.Ref]map[string]time.Time
}

// NewIndex returns an empty index of the deadlines of kinds.
func NewIndex(kinds ...Kind) *Index {
	ix := &Index{kinds: make(map[string]Kind, len(kinds)), timers: make(map[actors.Ref]map[string]time.Time)}
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
func (ix *Index) Apply(env *events.Envelope) error {
	ref, kind, ok := ix.owner(env.Stream)
	var changes []actors.Deadline
	if ok {
		msg, err := events.Decode(env)
		if err != nil {
			return err
		}
		changes = kind.Deadlines(msg)
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, d := range changes {
		ix.set(ref, d)
	}
	ix.checkpoint = env.Position
	return nil
}

func (ix *Index) set(ref actors.Ref, d actors.Deadline) {
	keys := ix.timers[ref]
	if d.At.IsZero() {
		delete(keys, d.Key)
		if len(keys) == 0 {
			delete(ix.timers, ref)
		}
		return
	}
	if keys == nil {
		keys = make(map[string]time.Time, 1)
		ix.timers[ref] = keys
	}
	keys[d.Key] = d.At
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

// Due returns the entities with a deadline at or before now.
func (ix *Index) Due(now time.Time) []actors.Ref {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	var due []actors.Ref
	for ref, keys := range ix.timers {
		for _, at := range keys {
			if !at.After(now) {
				due = append(due, ref)
				break
			}
		}
	}
	return due
}

// Len is the number of pending deadlines.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	n := 0
	for _, keys := range ix.timers {
		n += len(keys)
	}
	return n
}
