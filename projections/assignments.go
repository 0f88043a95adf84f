package projections

import (
	"cmp"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Assignment is one of an agent's tasks in flight: what a worker needs to
// do it.
type Assignment struct {
	TaskID     string          `json:"task_id"`
	SwarmID    string          `json:"swarm_id"`
	RunID      string          `json:"run_id,omitempty"`
	StepID     string          `json:"step_id,omitempty"`
	Key        string          `json:"key,omitempty"`
	Capability string          `json:"capability,omitempty"`
	Input      json.RawMessage `json:"input,omitempty"`
	// Attempt is the attempt's number, from 1.
	Attempt int `json:"attempt"`
	// Deadline is when the attempt times out; zero if never.
	Deadline   time.Time `json:"deadline,omitzero"`
	AssignedAt time.Time `json:"assigned_at"`
	// Progress is the newest progress the agent reported, if any.
	Progress *Progress `json:"progress,omitempty"`
	// Position is the global position of the TaskAssigned event.
	Position uint64 `json:"position"`
}

// Progress is what an agent last said about a task it works on.
type Progress struct {
	Message string    `json:"message,omitempty"`
	Percent float64   `json:"percent"`
	At      time.Time `json:"at"`
}

// Revocation is an assignment taken from its agent before the agent
// reported a result: the task was cancelled, timed out, or went to another
// agent because this one was lost or left its swarm. The agent should stop
// working on it; a result it reports is refused.
type Revocation struct {
	TaskID string `json:"task_id"`
	// Cause is "cancelled", "timeout", "agent_lost" or "agent_left".
	Cause  string `json:"cause"`
	Reason string `json:"reason,omitempty"`
	// Position is the global position of the event that took it away.
	Position uint64 `json:"position"`
}

// Work is an agent's assignments as of a cursor.
type Work struct {
	// Assignments are every task in flight for the agent, oldest first.
	Assignments []Assignment `json:"assignments"`
	// Cancelled are the revocations after the cursor asked about (none for
	// cursor 0: a worker starting afresh runs nothing to stop).
	Cancelled []Revocation `json:"cancelled"`
	// Cursor is the position of the agent's newest change: what to ask
	// after next time.
	Cursor uint64 `json:"cursor"`
}

// News reports whether w holds an assignment or a revocation after the
// position after.
func (w Work) News(after uint64) bool {
	if len(w.Cancelled) > 0 {
		return true
	}
	for _, a := range w.Assignments {
		if a.Position > after {
			return true
		}
	}
	return false
}

// maxRevocations bounds the revocations kept per agent: a worker that was
// away for longer finds out from the assignment list instead.
const maxRevocations = 32

// Assignments is the read model of the agents' tasks in flight, built from
// the swarms' task events, for workers to learn of their assignments. It
// wakes the callers watching an agent whenever that agent's assignments
// change. It is safe for concurrent use: one projection goroutine applies,
// any number of readers read and watch.
type Assignments struct {
	mu         sync.Mutex
	checkpoint uint64
	tasks      map[string]*queuedTask // unfinished tasks, by id
	agents     map[string]*agentWork
	watchers   map[string]map[chan struct{}]struct{} // by agent id
}

// queuedTask is what TaskQueued said of a task.
type queuedTask struct {
	swarmID, runID, stepID, key, capability string
	input                                   []byte
}

// agentWork is one agent's assignments and recent revocations.
type agentWork struct {
	inFlight map[string]*Assignment
	revoked  []Revocation
	changed  uint64
}

var _ Projection = (*Assignments)(nil)

// NewAssignments returns an empty assignments read model.
func NewAssignments() *Assignments {
	return &Assignments{tasks: map[string]*queuedTask{}, agents: map[string]*agentWork{}, watchers: map[string]map[chan struct{}]struct{}{}}
}

// Name implements Projection.
func (a *Assignments) Name() string { return "assignments" }

// Checkpoint implements Projection.
func (a *Assignments) Checkpoint() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.checkpoint
}

// Apply implements Projection.
func (a *Assignments) Apply(c *events.Committed) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.applyOne(c)
}

// ApplyBatch implements Batcher.
func (a *Assignments) ApplyBatch(batch []*events.Committed) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return applyEach(batch, a.applyOne)
}

// applyOne applies c; a.mu is held.
func (a *Assignments) applyOne(c *events.Committed) error {
	env := &c.Envelope
	a.checkpoint = env.Position
	if !strings.HasPrefix(env.Type, "hive.v1.Task") && env.Type != "hive.v1.AgentTaskProgress" {
		return nil
	}
	msg, err := c.Message()
	if err != nil {
		return err
	}
	a.apply(env, msg)
	return nil
}

func (a *Assignments) apply(env *events.Envelope, msg proto.Message) {
	switch m := msg.(type) {
	case *hivev1.TaskQueued:
		a.tasks[m.GetTaskId()] = &queuedTask{swarmID: m.GetSwarmId(), runID: m.GetRunId(), stepID: m.GetStepId(),
			key: m.GetKey(), capability: m.GetCapability(), input: m.GetInput()}
	case *hivev1.TaskAssigned:
		a.assigned(env, m)
	case *hivev1.TaskAttemptFailed:
		a.ended(env.Position, m.GetAgentId(), m.GetTaskId(), m.GetCause(), m.GetReason())
	case *hivev1.TaskFailed:
		a.ended(env.Position, m.GetAgentId(), m.GetTaskId(), m.GetFailure().GetCause(), m.GetFailure().GetReason())
		delete(a.tasks, m.GetTaskId())
	case *hivev1.TaskCompleted:
		a.ended(env.Position, m.GetAgentId(), m.GetTaskId(), "", "")
		delete(a.tasks, m.GetTaskId())
	case *hivev1.TaskCancelled:
		a.ended(env.Position, m.GetAgentId(), m.GetTaskId(), "cancelled", m.GetReason())
		delete(a.tasks, m.GetTaskId())
	case *hivev1.AgentTaskProgress:
		if w := a.agents[m.GetAgentId()]; w != nil && w.inFlight[m.GetTaskId()] != nil {
			w.inFlight[m.GetTaskId()].Progress = &Progress{Message: m.GetMessage(), Percent: m.GetPercent(), At: env.RecordedAt}
		}
	}
}

func (a *Assignments) assigned(env *events.Envelope, m *hivev1.TaskAssigned) {
	q := a.tasks[m.GetTaskId()]
	if q == nil {
		q = &queuedTask{swarmID: m.GetSwarmId()}
	}
	w := a.work(m.GetAgentId())
	w.inFlight[m.GetTaskId()] = &Assignment{
		TaskID: m.GetTaskId(), SwarmID: q.swarmID, RunID: q.runID, StepID: q.stepID, Key: q.key, Capability: q.capability,
		Input: q.input, Attempt: int(m.GetAttempt()), Deadline: deadline(m.GetDeadlineUnixNano()),
		AssignedAt: deadline(m.GetAtUnixNano()), Position: env.Position,
	}
	a.changed(m.GetAgentId(), w, env.Position)
}

// ended removes the agent's assignment of task; a cause other than the
// agent's own result ("" or "failed") records a revocation.
func (a *Assignments) ended(pos uint64, agentID, taskID, cause, reason string) {
	w := a.agents[agentID]
	if w == nil || w.inFlight[taskID] == nil {
		return
	}
	delete(w.inFlight, taskID)
	if cause != "" && cause != "failed" {
		w.revoked = append(w.revoked, Revocation{TaskID: taskID, Cause: cause, Reason: reason, Position: pos})
		if len(w.revoked) > maxRevocations {
			w.revoked = slices.Delete(w.revoked, 0, len(w.revoked)-maxRevocations)
		}
	}
	a.changed(agentID, w, pos)
}

func (a *Assignments) work(agentID string) *agentWork {
	w := a.agents[agentID]
	if w == nil {
		w = &agentWork{inFlight: map[string]*Assignment{}}
		a.agents[agentID] = w
	}
	return w
}

// changed records a change of the agent's work at pos and wakes its
// watchers.
func (a *Assignments) changed(agentID string, w *agentWork, pos uint64) {
	w.changed = pos
	for ch := range a.watchers[agentID] {
		close(ch)
	}
	delete(a.watchers, agentID)
}

// Since returns the agent's assignments in flight and its revocations after
// the position after.
func (a *Assignments) Since(agentID string, after uint64) Work {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.since(agentID, after)
}

func (a *Assignments) since(agentID string, after uint64) Work {
	out := Work{Assignments: []Assignment{}, Cancelled: []Revocation{}, Cursor: after}
	w := a.agents[agentID]
	if w == nil {
		return out
	}
	out.Cursor = max(after, w.changed)
	for _, as := range w.inFlight {
		c := *as
		if as.Progress != nil {
			p := *as.Progress
			c.Progress = &p
		}
		out.Assignments = append(out.Assignments, c)
	}
	slices.SortFunc(out.Assignments, func(x, y Assignment) int { return cmp.Compare(x.Position, y.Position) })
	if after > 0 {
		for _, r := range w.revoked {
			if r.Position > after {
				out.Cancelled = append(out.Cancelled, r)
			}
		}
	}
	return out
}

// Watch returns a channel closed at the agent's next change, and stop,
// which forgets the watch; call stop when done waiting, woken or not. Each
// watch costs one channel until it is woken or stopped.
func (a *Assignments) Watch(agentID string) (wake <-chan struct{}, stop func()) {
	ch := make(chan struct{})
	a.mu.Lock()
	defer a.mu.Unlock()
	set := a.watchers[agentID]
	if set == nil {
		set = map[chan struct{}]struct{}{}
		a.watchers[agentID] = set
	}
	set[ch] = struct{}{}
	return ch, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		if set := a.watchers[agentID]; set != nil {
			delete(set, ch)
			if len(set) == 0 {
				delete(a.watchers, agentID)
			}
		}
	}
}
