package projections

import (
	"slices"
	"strconv"
	"strings"
	"sync"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// TaskIndex is the read model behind GET /v1/tasks/{id}: for every task a
// swarm ever queued, finished or not, the log positions of its events. A
// task is read by folding those events (ReadTask), so the index holds no
// inputs or outputs and costs a few words per task; the log keeps the rest.
// It is safe for concurrent use: one projection goroutine applies, any
// number of readers read.
type TaskIndex struct {
	mu         sync.RWMutex
	checkpoint uint64
	// bySwarm holds, per swarm, the positions of each task's events, at
	// the index of its sequence number less one (sequence numbers are
	// dense from 1).
	bySwarm map[string][][]uint64
	// watches wakes the callers waiting for a task's next event.
	watches watches
}

var _ Persistent = (*TaskIndex)(nil)

// NewTaskIndex returns an empty task index.
func NewTaskIndex() *TaskIndex { return &TaskIndex{bySwarm: map[string][][]uint64{}} }

// Name implements Projection.
func (x *TaskIndex) Name() string { return "tasks" }

// Checkpoint implements Projection.
func (x *TaskIndex) Checkpoint() uint64 {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.checkpoint
}

// Apply implements Projection.
func (x *TaskIndex) Apply(c *events.Committed) error {
	env := &c.Envelope
	x.mu.Lock()
	defer x.mu.Unlock()
	if strings.HasPrefix(env.Type, "hive.v1.Task") {
		msg, err := c.Message()
		if err != nil {
			return err
		}
		if m, ok := msg.(*hivev1.TaskQueued); ok {
			x.add(m.GetSwarmId(), m.GetSeq(), env.Position, true)
			x.watches.wake(m.GetTaskId())
		} else if m, ok := msg.(interface{ GetTaskId() string }); ok {
			if swarmID, seq, ok := splitTaskID(m.GetTaskId()); ok {
				x.add(swarmID, seq, env.Position, false)
				x.watches.wake(m.GetTaskId())
			}
		}
	}
	x.checkpoint = env.Position
	return nil
}

// add records the event at pos of task seq of a swarm. A task is known
// from the event that queued it on, and queued once.
func (x *TaskIndex) add(swarmID string, seq, pos uint64, queued bool) {
	tasks := x.bySwarm[swarmID]
	if queued {
		for uint64(len(tasks)) < seq {
			tasks = append(tasks, nil)
		}
		x.bySwarm[swarmID] = tasks
	}
	if seq == 0 || seq > uint64(len(tasks)) {
		return
	}
	at := &tasks[seq-1]
	if queued == (len(*at) > 0) {
		return
	}
	*at = append(*at, pos)
}

// Positions returns the log positions of task id's events, oldest first,
// and whether the index knows the task.
func (x *TaskIndex) Positions(id string) ([]uint64, bool) {
	swarmID, seq, ok := splitTaskID(id)
	if !ok {
		return nil, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	tasks := x.bySwarm[swarmID]
	if seq > uint64(len(tasks)) || len(tasks[seq-1]) == 0 {
		return nil, false
	}
	return slices.Clone(tasks[seq-1]), true
}

// Watch returns a channel closed once the index applies the next event of
// task id, and stop, which forgets the watch; call stop when done waiting,
// woken or not. A caller that watches before it reads the task's positions
// misses no event of it.
func (x *TaskIndex) Watch(id string) (wake <-chan struct{}, stop func()) {
	return x.watches.watch(id)
}

// splitTaskID returns the swarm and sequence number of a task id,
// "<swarm id>.<seq>".
func splitTaskID(id string) (swarmID string, seq uint64, ok bool) {
	i := strings.LastIndexByte(id, '.')
	if i <= 0 {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(id[i+1:], 10, 64)
	return id[:i], seq, err == nil && seq > 0
}

// taskIndexState is the saved state of TaskIndex.
type taskIndexState struct {
	Checkpoint uint64                `json:"checkpoint"`
	Swarms     map[string][][]uint64 `json:"swarms"`
}

// MarshalState implements Persistent.
func (x *TaskIndex) MarshalState() ([]byte, error) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return encodeState(x.Name(), taskIndexState{Checkpoint: x.checkpoint, Swarms: x.bySwarm})
}

// UnmarshalState implements Persistent.
func (x *TaskIndex) UnmarshalState(data []byte) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.checkpoint, x.bySwarm = 0, map[string][][]uint64{}
	var st taskIndexState
	if err := decodeState(x.Name(), data, &st); err != nil {
		return err
	}
	if st.Swarms != nil {
		x.bySwarm = st.Swarms
	}
	x.checkpoint = st.Checkpoint
	return nil
}
