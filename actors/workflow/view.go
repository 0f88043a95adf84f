package workflow

import (
	"encoding/json"
	"slices"
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
	Status      string        `json:"status"`
	Timeout     time.Duration `json:"timeout_nanos,omitempty"`
	RequestedAt time.Time     `json:"requested_at,omitzero"`
	Deadline    time.Time     `json:"deadline,omitzero"`
	By          string        `json:"by,omitempty"`
	Comment     string        `json:"comment,omitempty"`
	DecidedAt   time.Time     `json:"decided_at,omitzero"`
}

// View returns the run as a RunView. It copies every step, so it costs in
// proportion to the run's size and outputs.
func (s *State) View() any {
	entries, dropped := s.log.recent()
	v := RunView{
		ID: s.ID, Name: s.Name, SwarmID: s.SwarmID, Status: s.Status, StatusReason: s.StatusReason,
		Budget: s.Budget, Usage: s.Usage, CreatedAt: s.CreatedAt, StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
		StepsTotal: len(s.steps), StepsCompleted: s.done, Steps: make([]StepView, len(s.steps)),
		Timeline: append([]TimelineEntry{}, entries...), TimelineDropped: dropped, Version: s.Version,
	}
	for i, st := range s.steps {
		v.Steps[i] = s.stepView(st)
	}
	return v
}

func (s *State) stepView(st *stepState) StepView {
	v := StepView{
		ID: st.def.ID, Capability: st.def.Capability, DependsOn: append([]string{}, st.def.DependsOn...),
		Priority: st.def.Priority, Planner: st.def.Planner, AddedBy: st.addedBy, Status: st.status,
		Generation: st.generation, Attempt: st.attempt, AgentID: st.agentID, TaskID: st.taskID,
		Key: TaskKey(s.ID, st.def.ID, st.generation), Output: slices.Clone(st.output), Usage: st.usage, Error: st.err,
		ReadyAt: st.readyAt, DispatchedAt: st.dispatched, AssignedAt: st.assigned, FinishedAt: st.finished,
	}
	if st.status == StepCompleted {
		v.CompletedAt = st.finished
	}
	if st.def.Approval {
		a := st.approval
		v.Approval = &ApprovalView{Status: a.status, Timeout: st.def.ApprovalTimeout, RequestedAt: a.requestedAt,
			Deadline: a.deadline, By: a.by, Comment: a.comment, DecidedAt: a.decidedAt}
	}
	return v
}
