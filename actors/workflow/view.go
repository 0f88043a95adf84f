package workflow

import (
	"encoding/json"
	"time"

	"hive/actors/ledger"
)

// RunView is a run as GET /v1/workflows/{id} shows it. It shares nothing
// with the state it was taken from.
type RunView struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	SwarmID string `json:"swarm_id"`
	Status  Status `json:"status"`
	// StatusReason is why the run has its status, when that was a decision
	// (failed, cancelled, paused, budget exhausted, completed).
	StatusReason string        `json:"status_reason,omitempty"`
	Budget       ledger.Budget `json:"budget"`
	Usage        ledger.Usage  `json:"usage"`
	CreatedAt    time.Time     `json:"created_at,omitzero"`
	StartedAt    time.Time     `json:"started_at,omitzero"`
	FinishedAt   time.Time     `json:"finished_at,omitzero"`
	// CorrelationID is the correlation id of the request that started
	// the run, which every event of the run and of its tasks carries.
	CorrelationID string `json:"correlation_id,omitempty"`
	// StepsTotal and StepsCompleted count the steps.
	StepsTotal     int        `json:"steps_total"`
	StepsCompleted int        `json:"steps_completed"`
	Steps          []StepView `json:"steps"`
	// Timeline lists the newest MaxTimeline notable happenings, oldest
	// first; TimelineDropped counts the older ones left out.
	Timeline        []TimelineEntry `json:"timeline"`
	TimelineDropped uint64          `json:"timeline_dropped,omitempty"`
	Version         uint64          `json:"version"`
}

// StepView is one step of a RunView.
type StepView struct {
	ID         string     `json:"id"`
	Capability string     `json:"capability,omitempty"`
	DependsOn  []string   `json:"depends_on"`
	Priority   int        `json:"priority,omitempty"`
	Planner    bool       `json:"planner,omitempty"`
	AddedBy    string     `json:"added_by,omitempty"`
	Status     StepStatus `json:"status"`
	// Generation counts the step's dispatches (1, plus one per retry).
	Generation int    `json:"generation"`
	Attempt    int    `json:"attempt,omitempty"`
	AgentID    string `json:"agent_id,omitempty"`
	TaskID     string `json:"task_id,omitempty"`
	// Key is the task key of the step's generation.
	Key      string          `json:"key"`
	Output   json.RawMessage `json:"output,omitempty"`
	Usage    ledger.Usage    `json:"usage"`
	Error    string          `json:"error,omitempty"`
	Approval *ApprovalView   `json:"approval,omitempty"`
	// Timings. FinishedAt is when the step completed, failed, was rejected
	// or cancelled; CompletedAt only if it completed.
	ReadyAt      time.Time `json:"ready_at,omitzero"`
	DispatchedAt time.Time `json:"dispatched_at,omitzero"`
	AssignedAt   time.Time `json:"assigned_at,omitzero"`
	CompletedAt  time.Time `json:"completed_at,omitzero"`
	FinishedAt   time.Time `json:"finished_at,omitzero"`
}

// ApprovalView is the approval of a step that needs one.
type ApprovalView struct {
	// Status is "" (not requested yet), "awaiting", "approved", "rejected"
	// or "cancelled".
	Status string `json:"status"`
	// Timeout is the step's approval timeout as a Go duration ("1h0m0s"),
	// empty if none.
	Timeout     string    `json:"timeout,omitempty"`
	RequestedAt time.Time `json:"requested_at,omitzero"`
	Deadline    time.Time `json:"deadline,omitzero"`
	By          string    `json:"by,omitempty"`
	Comment     string    `json:"comment,omitempty"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
}

// View returns the run as a RunView. It copies every step, so it costs in
// proportion to the run's size and outputs; the copies of all steps'
// dependencies, outputs and approvals share three allocations.
func (s *State) View() any {
	entries, dropped := s.log.recent()
	v := RunView{
		ID: s.ID, Name: s.Name, SwarmID: s.SwarmID, Status: s.Status, StatusReason: s.StatusReason,
		Budget: s.Budget, Usage: s.Usage, CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
		CorrelationID: s.CorrelationID, StepsTotal: len(s.steps), StepsCompleted: s.done, Steps: make([]StepView, len(s.steps)),
		Timeline: append([]TimelineEntry{}, entries...), TimelineDropped: dropped, Version: s.Version,
	}
	var c viewCopier
	c.size(s.steps)
	for i, st := range s.steps {
		v.Steps[i] = c.stepView(st)
	}
	return v
}

// viewCopier copies the slices of steps into blocks allocated once.
type viewCopier struct {
	deps      []string
	outputs   []byte
	approvals []ApprovalView
}

func (c *viewCopier) size(steps []*stepState) {
	var deps, outputs, approvals int
	for _, st := range steps {
		deps += len(st.def.DependsOn)
		outputs += len(st.output)
		if st.def.Approval {
			approvals++
		}
	}
	c.deps = make([]string, 0, deps)
	c.outputs = make([]byte, 0, outputs)
	c.approvals = make([]ApprovalView, 0, approvals)
}

func (c *viewCopier) stepView(st *stepState) StepView {
	v := StepView{
		ID: st.def.ID, Capability: st.def.Capability, DependsOn: c.strings(st.def.DependsOn),
		Priority: st.def.Priority, Planner: st.def.Planner, AddedBy: st.addedBy, Status: st.status,
		Generation: st.generation, Attempt: st.attempt, AgentID: st.agentID, TaskID: st.taskID,
		Key: st.key, Output: c.bytes(st.output), Usage: st.usage, Error: st.err,
		ReadyAt: st.readyAt, DispatchedAt: st.dispatched, AssignedAt: st.assigned, FinishedAt: st.finished,
	}
	if st.status == StepCompleted {
		v.CompletedAt = st.finished
	}
	if st.def.Approval {
		a := st.approval
		c.approvals = append(c.approvals, ApprovalView{Status: a.status, RequestedAt: a.requestedAt,
			Deadline: a.deadline, By: a.by, Comment: a.comment, DecidedAt: a.decidedAt})
		v.Approval = &c.approvals[len(c.approvals)-1]
		if st.def.ApprovalTimeout > 0 {
			v.Approval.Timeout = st.def.ApprovalTimeout.String()
		}
	}
	return v
}

// strings copies ss into the block; the copy's capacity is its length, so
// appending to it cannot overwrite the next step's.
func (c *viewCopier) strings(ss []string) []string {
	start := len(c.deps)
	c.deps = append(c.deps, ss...)
	return c.deps[start:len(c.deps):len(c.deps)]
}

// bytes copies b into the block, nil for nil.
func (c *viewCopier) bytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	start := len(c.outputs)
	c.outputs = append(c.outputs, b...)
	return c.outputs[start:len(c.outputs):len(c.outputs)]
}
