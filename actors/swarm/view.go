package swarm

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"hive/actors/ledger"
)

// View is a swarm as the API shows it: a copy that shares nothing with the
// state.
type View struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Topology Topology      `json:"topology"`
	Leader   string        `json:"leader,omitempty"`
	Status   Status        `json:"status"`
	Weights  Weights       `json:"weights"`
	MinSize  int           `json:"min_size"`
	MaxSize  int           `json:"max_size"`
	Budget   ledger.Budget `json:"budget"`
	// Usage is what the swarm's completed tasks consumed.
	Usage     ledger.Usage `json:"usage"`
	CreatedAt time.Time    `json:"created_at"`
	// DissolvedAt is when the swarm was dissolved, and DissolveReason why.
	DissolvedAt    time.Time `json:"dissolved_at,omitzero"`
	DissolveReason string    `json:"dissolve_reason,omitempty"`
	// Members are in join order.
	Members    []Member `json:"members"`
	QueueDepth int      `json:"queue_depth"`
	// Tasks are the unfinished tasks, by id.
	Tasks      []Task     `json:"tasks"`
	TaskCounts TaskCounts `json:"task_counts"`
	PausedRuns []string   `json:"paused_runs"`
	// RunBudgets are the budgets of the runs with unfinished tasks, by
	// run id: a run whose spending reached its budget has its queued
	// tasks held.
	RunBudgets []RunBudget `json:"run_budgets,omitempty"`
	// Proposals are the open proposals, in the order opened.
	Proposals []Proposal `json:"proposals"`
	Version   uint64     `json:"version"`
}

// Member is a member of a swarm.
type Member struct {
	AgentID        string       `json:"agent_id"`
	Capabilities   []string     `json:"capabilities"`
	MaxConcurrency int          `json:"max_concurrency"`
	Status         MemberStatus `json:"status"`
	// Load is the member's tasks in flight.
	Load     int         `json:"load"`
	Stats    MemberStats `json:"stats"`
	JoinedAt time.Time   `json:"joined_at"`
}

// MemberStats are a member's results in the swarm.
type MemberStats struct {
	Completed uint64 `json:"completed"`
	// Failed counts failed and timed-out attempts.
	Failed uint64 `json:"failed"`
	// SuccessRate is the rate scoring uses (0.5 for a new member).
	SuccessRate  float64       `json:"success_rate"`
	MeanDuration time.Duration `json:"mean_duration"`
}

// Task is an unfinished task of a swarm.
type Task struct {
	ID          string          `json:"id"`
	Key         string          `json:"key,omitempty"`
	RunID       string          `json:"run_id,omitempty"`
	StepID      string          `json:"step_id,omitempty"`
	Capability  string          `json:"capability,omitempty"`
	Input       json.RawMessage `json:"input,omitempty"`
	Priority    int             `json:"priority"`
	MaxAttempts int             `json:"max_attempts"`
	Backoff     time.Duration   `json:"backoff"`
	Timeout     time.Duration   `json:"timeout"`
	Planner     bool            `json:"planner,omitempty"`
	Status      TaskStatus      `json:"status"`
	// Attempt is the number of attempts started.
	Attempt     int       `json:"attempt"`
	AgentID     string    `json:"agent_id,omitempty"`
	SubmittedAt time.Time `json:"submitted_at"`
	QueuedAt    time.Time `json:"queued_at"`
	AssignedAt  time.Time `json:"assigned_at,omitzero"`
	Deadline    time.Time `json:"deadline,omitzero"`
	RetryAt     time.Time `json:"retry_at,omitzero"`
	// Excluded are the members later attempts pass over while another
	// member is eligible: earlier attempts failed, timed out or were lost
	// on them.
	Excluded []Exclusion `json:"excluded,omitempty"`
	// CorrelationID is the correlation id of the request that submitted
	// the task (a run's, for a step), which its events carry.
	CorrelationID string `json:"correlation_id,omitempty"`
}

// Exclusion is a member a task's later attempts pass over, and why.
type Exclusion struct {
	AgentID string `json:"agent_id"`
	// Cause is how its attempt ended: "failed", "timeout" or "agent_lost".
	Cause   string `json:"cause"`
	Attempt int    `json:"attempt"`
}

// TaskCounts count a swarm's tasks: the unfinished ones by status, and
// those that finished in its life.
type TaskCounts struct {
	Queued    int    `json:"queued"`
	Waiting   int    `json:"waiting"`
	Assigned  int    `json:"assigned"`
	Completed uint64 `json:"completed"`
	Failed    uint64 `json:"failed"`
	Cancelled uint64 `json:"cancelled"`
}

// Proposal is an open proposal.
type Proposal struct {
	ID         string    `json:"id"`
	Question   string    `json:"question"`
	Options    []string  `json:"options"`
	Rule       Rule      `json:"rule"`
	Quorum     float64   `json:"quorum"`
	Deadline   time.Time `json:"deadline"`
	ProposedBy string    `json:"proposed_by,omitempty"`
	OpenedAt   time.Time `json:"opened_at"`
	Votes      []Ballot  `json:"votes"`
}

// Ballot is a vote cast.
type Ballot struct {
	AgentID string  `json:"agent_id"`
	Option  string  `json:"option"`
	Weight  float64 `json:"weight"`
}

// View returns the swarm as a View.
func (s *State) View() any {
	v := View{
		ID: s.id, Name: s.name, Topology: s.topology, Leader: s.leader, Status: s.Status(), Weights: s.weights,
		MinSize: s.minSize, MaxSize: s.maxSize, Budget: s.budget, Usage: s.spent, CreatedAt: s.createdAt,
		DissolvedAt: s.dissolvedAt, DissolveReason: s.dissolveReason,
		Members: make([]Member, len(s.members)), QueueDepth: len(s.queue), Tasks: []Task{},
		TaskCounts: TaskCounts{Completed: s.counts.completed, Failed: s.counts.failed, Cancelled: s.counts.cancelled},
		PausedRuns: []string{}, Proposals: []Proposal{}, Version: s.version,
	}
	for i := range s.members {
		m := s.mem(i)
		v.Members[i] = Member{
			AgentID: m.id, Capabilities: slices.Clone(m.caps), MaxConcurrency: m.maxConcurrency, Status: m.status(),
			Load: m.load, JoinedAt: m.joinedAt,
			Stats: MemberStats{Completed: m.completed, Failed: m.failed, SuccessRate: m.rate, MeanDuration: m.mean},
		}
	}
	for _, seq := range s.taskSeqs(func(*task) bool { return true }) {
		t, _ := s.tasks.get(seq)
		v.Tasks = append(v.Tasks, s.taskView(t))
		switch t.status {
		case TaskStatusQueued:
			v.TaskCounts.Queued++
		case TaskStatusWaiting:
			v.TaskCounts.Waiting++
		case TaskStatusAssigned:
			v.TaskCounts.Assigned++
		}
	}
	s.paused.each(func(run string, _ struct{}) { v.PausedRuns = append(v.PausedRuns, run) })
	slices.Sort(v.PausedRuns)
	v.RunBudgets = s.runBudgets()
	for _, p := range s.openProposals() {
		v.Proposals = append(v.Proposals, proposalView(p))
	}
	return v
}

func (s *State) taskView(t *task) Task {
	v := Task{
		ID: TaskID(s.id, t.seq), Key: t.key, RunID: t.runID, StepID: t.stepID, Capability: t.capability,
		Input: slices.Clone(t.input), Priority: t.priority, MaxAttempts: t.maxAttempts, Backoff: t.backoff,
		Timeout: t.timeout, Planner: t.planner, Status: t.status, Attempt: t.attempt, AgentID: t.agent,
		SubmittedAt: t.submittedAt, QueuedAt: t.queuedAt, AssignedAt: t.assignedAt, Deadline: t.deadline, RetryAt: t.retryAt,
		CorrelationID: t.correlation,
	}
	for _, e := range t.excluded {
		v.Excluded = append(v.Excluded, Exclusion{AgentID: e.agent, Cause: e.cause, Attempt: e.attempt})
	}
	return v
}

func proposalView(p *proposal) Proposal {
	o := p.opened
	v := Proposal{
		ID: o.GetProposalId(), Question: o.GetQuestion(), Options: slices.Clone(o.GetOptions()), Rule: Rule(o.GetRule()),
		Quorum: o.GetQuorum(), Deadline: p.deadline, ProposedBy: strings.Clone(o.GetProposedBy()),
		OpenedAt: unixNano(o.GetAtUnixNano()), Votes: make([]Ballot, len(p.votes)),
	}
	for i, b := range p.votes {
		v.Votes[i] = Ballot{AgentID: b.GetAgentId(), Option: b.GetOption(), Weight: b.GetWeight()}
	}
	return v
}
