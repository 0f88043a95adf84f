package projections

import (
	"maps"
	"slices"
	"sync"

	"hive/events"
)

// SwarmQueue is one swarm's unfinished tasks.
type SwarmQueue struct {
	SwarmID string `json:"swarm_id"`
	TaskCounts
}

// CapabilityQueue is the unfinished tasks needing one capability ("" for
// tasks any agent may do).
type CapabilityQueue struct {
	Capability string `json:"capability"`
	TaskCounts
}

// QueueView is the task queue: the unfinished tasks of every swarm by
// phase, in all, by swarm and by capability (each sorted by name, those
// with no task left out).
type QueueView struct {
	// Position is the log position of the last event that changed it.
	Position     uint64            `json:"position"`
	Totals       TaskCounts        `json:"totals"`
	BySwarm      []SwarmQueue      `json:"by_swarm"`
	ByCapability []CapabilityQueue `json:"by_capability"`
}

// Queue is the read model of the task queue. It is safe for concurrent
// use: one projection goroutine applies, any number of readers read.
type Queue struct {
	mu         sync.RWMutex
	checkpoint uint64
	position   uint64
	tasks      taskTable
	totals     TaskCounts
	bySwarm    map[string]*TaskCounts
	byCap      map[string]*TaskCounts
	changed    bool
}

var (
	_ Live       = (*Queue)(nil)
	_ Persistent = (*Queue)(nil)
)

// NewQueue returns an empty task queue read model.
func NewQueue() *Queue {
	return &Queue{tasks: taskTable{}, bySwarm: map[string]*TaskCounts{}, byCap: map[string]*TaskCounts{}}
}

// Name implements Projection.
func (q *Queue) Name() string { return "queue" }

// Checkpoint implements Projection.
func (q *Queue) Checkpoint() uint64 {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.checkpoint
}

// Apply implements Projection.
func (q *Queue) Apply(c *events.Committed) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.applyOne(c)
}

// ApplyBatch implements Batcher.
func (q *Queue) ApplyBatch(batch []*events.Committed) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return applyEach(batch, q.applyOne)
}

// applyOne applies c; q.mu is held.
func (q *Queue) applyOne(c *events.Committed) error {
	env := &c.Envelope
	if isTaskEvent(env.Type) {
		msg, err := c.Message()
		if err != nil {
			return err
		}
		if t, from, to := q.tasks.move(msg); from != to {
			q.count(t, from, -1)
			q.count(t, to, 1)
			q.position, q.changed = env.Position, true
		}
	}
	q.checkpoint = env.Position
	return nil
}

// count adds n tasks like t in phase p.
func (q *Queue) count(t taskEntry, p taskPhase, n int) {
	if p == phaseNone {
		return
	}
	q.totals.add(p, n)
	addCount(q.bySwarm, t.Swarm, p, n)
	addCount(q.byCap, t.Capability, p, n)
}

// addCount adds n tasks in phase p to m[key], forgetting counts that fall
// to zero.
func addCount(m map[string]*TaskCounts, key string, p taskPhase, n int) {
	c := m[key]
	if c == nil {
		c = &TaskCounts{}
		m[key] = c
	}
	c.add(p, n)
	if c.zero() {
		delete(m, key)
	}
}

// View returns the task queue.
func (q *Queue) View() QueueView {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return q.view()
}

func (q *Queue) view() QueueView {
	v := QueueView{Position: q.position, Totals: q.totals, BySwarm: []SwarmQueue{}, ByCapability: []CapabilityQueue{}}
	for _, id := range slices.Sorted(maps.Keys(q.bySwarm)) {
		v.BySwarm = append(v.BySwarm, SwarmQueue{SwarmID: id, TaskCounts: *q.bySwarm[id]})
	}
	for _, c := range slices.Sorted(maps.Keys(q.byCap)) {
		v.ByCapability = append(v.ByCapability, CapabilityQueue{Capability: c, TaskCounts: *q.byCap[c]})
	}
	return v
}

// Changed implements Live: the whole queue view, under the id "queue",
// when the last event changed it.
func (q *Queue) Changed(dst []Change) ([]Change, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.changed {
		return dst, nil
	}
	q.changed = false
	return appendChange(dst, TopicQueue, q.checkpoint, TopicQueue, q.view())
}

// queueState is the saved state of Queue: the counts follow from the tasks.
type queueState struct {
	Checkpoint uint64    `json:"checkpoint"`
	Position   uint64    `json:"position"`
	Tasks      taskTable `json:"tasks"`
}

// MarshalState implements Persistent.
func (q *Queue) MarshalState() ([]byte, error) {
	q.mu.RLock()
	defer q.mu.RUnlock()
	return encodeState(q.Name(), queueState{Checkpoint: q.checkpoint, Position: q.position, Tasks: q.tasks})
}

// UnmarshalState implements Persistent.
func (q *Queue) UnmarshalState(data []byte) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	fresh := NewQueue()
	q.checkpoint, q.position, q.tasks, q.totals, q.bySwarm, q.byCap, q.changed = 0, 0, fresh.tasks, TaskCounts{}, fresh.bySwarm, fresh.byCap, false
	var st queueState
	if err := decodeState(q.Name(), data, &st); err != nil {
		return err
	}
	for id, t := range st.Tasks {
		if t != nil {
			q.tasks[id] = t
			q.count(*t, t.Phase, 1)
		}
	}
	q.checkpoint, q.position = st.Checkpoint, st.Position
	return nil
}
