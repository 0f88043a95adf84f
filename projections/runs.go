package projections

import (
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Step states in the runs view.
const (
	StepPending          = "pending"
	StepQueued           = "queued"
	StepRunning          = "running"
	StepAwaitingApproval = "awaiting_approval"
	StepCompleted        = "completed"
	StepFailed           = "failed"
	StepRejected         = "rejected"
	StepCancelled        = "cancelled"
)

// RunRow is one workflow run of the runs list.
type RunRow struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	SwarmID string `json:"swarm_id"`
	// Status is running, paused, budget_exhausted, completed, failed or
	// cancelled.
	Status         string `json:"status"`
	StepsTotal     int    `json:"steps_total"`
	StepsCompleted int    `json:"steps_completed"`
	StepsFailed    int    `json:"steps_failed"`
	// Usage is what the run's tasks consumed.
	Usage UsageTotals `json:"usage"`
	// Budget is the run's budget and what is left of it.
	Budget    BudgetStatus `json:"budget"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	// Position is the log position of the last event that changed the run.
	Position uint64 `json:"position"`
}

// RunStep is one step of a run, as the run's detail shows it.
type RunStep struct {
	ID string `json:"id"`
	// State is pending, queued, running, awaiting_approval, completed,
	// failed, rejected or cancelled.
	State      string   `json:"state"`
	DependsOn  []string `json:"depends_on"`
	Capability string   `json:"capability"`
	// Attempts is the number of the current dispatch's last attempt.
	Attempts int `json:"attempts"`
	// AgentID is the agent of that attempt.
	AgentID       string `json:"agent_id"`
	NeedsApproval bool   `json:"needs_approval"`
	// StartedAt is when the current dispatch was first assigned.
	StartedAt time.Time `json:"started_at,omitzero"`
	// FinishedAt is when the step completed, failed, was rejected or
	// cancelled.
	FinishedAt time.Time `json:"finished_at,omitzero"`
}

// RunTimelineEntry is one happening of a run.
type RunTimelineEntry struct {
	At       time.Time `json:"at"`
	Position uint64    `json:"position"`
	// Type is the event's name in snake case, e.g. "step_failed".
	Type   string `json:"type"`
	StepID string `json:"step_id,omitempty"`
	Text   string `json:"text"`
}

// RunDetail is a run with its steps and timeline (oldest first).
type RunDetail struct {
	RunRow
	Steps    []RunStep          `json:"steps"`
	Timeline []RunTimelineEntry `json:"timeline"`
}

// maxTimeline bounds a run's timeline: older entries are dropped.
const maxTimeline = 500

// runState is a run as the read model keeps it.
type runState struct {
	RunRow
	Steps    []*stepView        `json:"steps"` // as defined, then as added
	Timeline []RunTimelineEntry `json:"timeline"`
	stepByID map[string]*stepView
}

// stepView is a step and the key of its current dispatch.
type stepView struct {
	RunStep
	Key string `json:"key,omitempty"`
}

// Runs is the read model of workflow runs: the list, and each run's steps
// and timeline. It is safe for concurrent use: one projection goroutine
// applies, any number of readers read.
type Runs struct {
	mu         sync.RWMutex
	checkpoint uint64
	byID       map[string]*runState
	order      []string // ids in creation order
	touched    touched
}

var (
	_ Live       = (*Runs)(nil)
	_ Persistent = (*Runs)(nil)
)

// NewRuns returns an empty runs read model.
func NewRuns() *Runs { return &Runs{byID: map[string]*runState{}} }

// Name implements Projection.
func (r *Runs) Name() string { return "runs" }

// Checkpoint implements Projection.
func (r *Runs) Checkpoint() uint64 {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.checkpoint
}

// runEvent reports whether the runs view uses events of type typ: the
// runs' own, and the swarms' about the attempts of their tasks.
func runEvent(typ string) bool {
	switch typ {
	case "hive.v1.TaskAssigned", "hive.v1.TaskAttemptFailed", "hive.v1.TaskRequeued":
		return true
	}
	return strings.HasPrefix(typ, "hive.v1.Run") || strings.HasPrefix(typ, "hive.v1.Step")
}

// Apply implements Projection.
func (r *Runs) Apply(c *events.Committed) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applyOne(c)
}

// ApplyBatch implements Batcher.
func (r *Runs) ApplyBatch(batch []*events.Committed) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return applyEach(batch, r.applyOne)
}

// applyOne applies c; r.mu is held.
func (r *Runs) applyOne(c *events.Committed) error {
	env := &c.Envelope
	if runEvent(env.Type) {
		msg, err := c.Message()
		if err != nil {
			return err
		}
		r.apply(env, msg)
	}
	r.checkpoint = env.Position
	return nil
}

func (r *Runs) apply(env *events.Envelope, msg proto.Message) {
	if m, ok := msg.(*hivev1.RunStarted); ok {
		r.start(env, m)
		return
	}
	id, ok := msg.(interface{ GetRunId() string })
	if !ok {
		return
	}
	run := r.byID[id.GetRunId()]
	if run == nil {
		return
	}
	run.spend(msg)
	text, stepID, changed := run.applyRun(env, msg)
	if !changed {
		text, stepID, changed = run.applyStep(env, msg)
	}
	if !changed {
		return
	}
	run.Budget = budgetStatus(run.Budget.Limit, run.Usage, run.Status == "budget_exhausted")
	if text != "" {
		run.note(env, stepID, text)
	}
	run.UpdatedAt, run.Position = env.RecordedAt, env.Position
	r.touched.add(run.ID)
}

func (r *Runs) start(env *events.Envelope, m *hivev1.RunStarted) {
	if r.byID[m.GetRunId()] != nil {
		return
	}
	run := &runState{RunRow: RunRow{ID: m.GetRunId(), Name: m.GetName(), SwarmID: m.GetSwarmId(), Status: "running",
		Budget: budgetStatus(amountOf(m.GetBudget()), UsageTotals{}, false), CreatedAt: env.RecordedAt, UpdatedAt: env.RecordedAt, Position: env.Position},
		Steps: []*stepView{}, Timeline: []RunTimelineEntry{}, stepByID: map[string]*stepView{}}
	run.addSteps(m.GetSteps())
	run.note(env, "", "run "+quote(m.GetName())+" started with "+plural(len(m.GetSteps()), "step")+" on swarm "+m.GetSwarmId())
	r.byID[run.ID] = run
	r.order = append(r.order, run.ID)
	r.touched.add(run.ID)
}

func (run *runState) addSteps(defs []*hivev1.WorkflowStep) {
	for _, d := range defs {
		if run.stepByID[d.GetId()] != nil {
			continue
		}
		st := &stepView{RunStep: RunStep{ID: d.GetId(), State: StepPending, DependsOn: nonNil(d.GetDependsOn()),
			Capability: d.GetCapability(), NeedsApproval: d.GetApproval()}}
		run.Steps = append(run.Steps, st)
		run.stepByID[st.ID] = st
		run.StepsTotal++
	}
}

// setState moves a step to state, keeping the run's counts.
func (run *runState) setState(st *stepView, state string) {
	run.count(st.State, -1)
	st.State = state
	run.count(state, 1)
}

func (run *runState) count(state string, n int) {
	switch state {
	case StepCompleted:
		run.StepsCompleted += n
	case StepFailed, StepRejected:
		run.StepsFailed += n
	}
}

// note adds an entry to the run's timeline.
func (run *runState) note(env *events.Envelope, stepID, text string) {
	if len(run.Timeline) == maxTimeline {
		run.Timeline = append(run.Timeline[:0], run.Timeline[1:]...)
	}
	run.Timeline = append(run.Timeline, RunTimelineEntry{At: env.RecordedAt, Position: env.Position, Type: snakeType(env.Type),
		StepID: stepID, Text: text})
}

// snakeType is an event type's message name in snake case:
// "hive.v1.StepFailed" is "step_failed".
func snakeType(typ string) string {
	name := typ[strings.LastIndexByte(typ, '.')+1:]
	var b strings.Builder
	b.Grow(len(name) + 4)
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteRune(c)
	}
	return b.String()
}
