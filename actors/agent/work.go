package agent

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// ErrInOtherSwarm: the agent is a member of another swarm; an agent is a
// member of at most one swarm at a time, so that the swarm that assigns it
// work knows its whole load.
var ErrInOtherSwarm = fmt.Errorf("%w: agent is a member of another swarm", decision.ErrConflict)

// Task is one of the agent's assignments in flight.
type Task struct {
	SwarmID   string    `json:"swarm_id"`
	StartedAt time.Time `json:"started_at"`
	// Deadline is when the assignment times out; zero if never.
	Deadline time.Time `json:"deadline,omitzero"`
	// CorrelationID is the correlation id of the assignment (a run's, for
	// a workflow step), which the agent's events about the task keep.
	CorrelationID string `json:"correlation_id,omitempty"`
}

// Stats are an agent's results, from its AgentTaskFinished events.
type Stats struct {
	Completed uint64 `json:"tasks_completed"`
	// Failed counts failed and timed-out tasks.
	Failed uint64 `json:"tasks_failed"`
	// Ended counts tasks that ended otherwise: released or cancelled.
	Ended         uint64        `json:"tasks_ended_otherwise"`
	TotalDuration time.Duration `json:"-"`
	// MeanDuration is the mean time to complete a task.
	MeanDuration time.Duration `json:"mean_duration"`
	Usage        ledger.Usage  `json:"usage"`
}

// Outcomes of an assignment, as AgentTaskFinished records them.
const (
	OutcomeCompleted = "completed"
	OutcomeFailed    = "failed"
	OutcomeTimedOut  = "timed_out"
	OutcomeReleased  = "released"
	OutcomeCancelled = "cancelled"
)

// JoinSwarm makes the agent a member of a swarm.
type JoinSwarm struct{ SwarmID string }

// CommandName implements the runtime's command naming.
func (JoinSwarm) CommandName() string { return "JoinSwarm" }

// LeaveSwarm ends the agent's membership of a swarm; it changes nothing if
// the agent is not a member of that swarm.
type LeaveSwarm struct{ SwarmID, Reason string }

// CommandName implements the runtime's command naming.
func (LeaveSwarm) CommandName() string { return "LeaveSwarm" }

// StartTask records that a swarm assigned a task to the agent. The swarm
// decided; the agent records it whatever its status, so that its status and
// load tell the truth. SwarmVersion is the version of the swarm's event that
// assigned the task: a command from a swarm event the agent has already
// recorded (delivered again after a crash) changes nothing.
type StartTask struct {
	TaskID, SwarmID string
	SwarmVersion    uint64
	At, Deadline    time.Time
}

// CommandName implements the runtime's command naming.
func (StartTask) CommandName() string { return "StartTask" }

// FinishTask records that one of the agent's assignments ended, by the
// swarm event of SwarmVersion. A task not in flight, or a swarm event
// already recorded, is ignored.
type FinishTask struct {
	TaskID       string
	SwarmID      string
	SwarmVersion uint64
	Outcome      string
	At           time.Time
	Usage        ledger.Usage
	// Duration is the attempt's duration as the swarm measured it, from
	// assignment to result, so that the agent's record and the swarm's
	// statistics agree; if zero, the time since the agent recorded the
	// start.
	Duration time.Duration
}

// CommandName implements the runtime's command naming.
func (FinishTask) CommandName() string { return "FinishTask" }

func (s *State) joinSwarm(c JoinSwarm) ([]proto.Message, error) {
	if err := s.present(); err != nil {
		return nil, err
	}
	switch s.Swarm {
	case c.SwarmID:
		return nil, nil
	case "":
		return []proto.Message{&hivev1.AgentJoinedSwarm{
			AgentId: s.ID, SwarmId: c.SwarmID, Capabilities: s.Capabilities, MaxConcurrency: s.MaxConcurrency,
			Record: s.Stats.trackRecord(),
		}}, nil
	}
	return nil, fmt.Errorf("%w: %s is in swarm %s", ErrInOtherSwarm, s.ID, s.Swarm)
}

func (s *State) leaveSwarm(c LeaveSwarm) ([]proto.Message, error) {
	if err := checkReason(c.Reason); err != nil {
		return nil, err
	}
	if s.Status == StatusUnregistered {
		return nil, ErrNotRegistered
	}
	if s.Swarm == "" || s.Swarm != c.SwarmID {
		return nil, nil
	}
	return []proto.Message{&hivev1.AgentLeftSwarm{AgentId: s.ID, SwarmId: c.SwarmID, Reason: c.Reason}}, nil
}

func (s *State) startTask(c StartTask) ([]proto.Message, error) {
	if s.Status == StatusUnregistered {
		return nil, ErrNotRegistered
	}
	if _, ok := s.Tasks[c.TaskID]; ok || s.seen(c.SwarmID, c.SwarmVersion) {
		return nil, nil
	}
	var deadline int64
	if !c.Deadline.IsZero() {
		deadline = c.Deadline.UnixNano()
	}
	return []proto.Message{&hivev1.AgentTaskStarted{AgentId: s.ID, TaskId: c.TaskID, SwarmId: c.SwarmID, DeadlineUnixNano: deadline, SwarmVersion: c.SwarmVersion}}, nil
}

func (s *State) finishTask(c FinishTask) ([]proto.Message, error) {
	t, ok := s.Tasks[c.TaskID]
	if !ok || s.seen(t.SwarmID, c.SwarmVersion) {
		return nil, nil
	}
	var usage *hivev1.Usage
	if c.Usage != (ledger.Usage{}) {
		usage = c.Usage.Proto()
	}
	d := c.Duration
	if d <= 0 {
		d = max(c.At.Sub(t.StartedAt), 0)
	}
	return []proto.Message{&hivev1.AgentTaskFinished{
		AgentId: s.ID, TaskId: c.TaskID, Outcome: c.Outcome,
		DurationNanos: d.Nanoseconds(), Usage: usage, SwarmVersion: c.SwarmVersion,
	}}, nil
}

// seen reports whether the agent recorded the swarm's event of version v or
// a later one; 0 is a command not caused by a swarm event.
func (s *State) seen(swarmID string, v uint64) bool {
	return v != 0 && v <= s.swarmSeen[swarmID]
}

func (s *State) sawSwarm(swarmID string, v uint64) {
	if s.swarmSeen == nil {
		s.swarmSeen = map[string]uint64{}
	}
	s.swarmSeen[swarmID] = max(s.swarmSeen[swarmID], v)
}

// applyWork applies the events of the agent's membership and work; it
// reports false for an event it does not know.
func (s *State) applyWork(env *events.Envelope, msg proto.Message) bool {
	switch m := msg.(type) {
	case *hivev1.AgentJoinedSwarm:
		s.Swarm = m.GetSwarmId()
	case *hivev1.AgentLeftSwarm:
		s.Swarm = ""
	case *hivev1.AgentTaskStarted:
		if s.Tasks == nil {
			s.Tasks = map[string]Task{}
		}
		s.Tasks[m.GetTaskId()] = Task{SwarmID: m.GetSwarmId(), StartedAt: env.RecordedAt, Deadline: unixNano(m.GetDeadlineUnixNano()),
			CorrelationID: env.CorrelationID}
		s.sawSwarm(m.GetSwarmId(), m.GetSwarmVersion())
	case *hivev1.AgentTaskFinished:
		if t, ok := s.Tasks[m.GetTaskId()]; ok {
			s.sawSwarm(t.SwarmID, m.GetSwarmVersion())
		}
		delete(s.Tasks, m.GetTaskId())
		s.Stats.record(m)
	case *hivev1.AgentTaskProgress:
		// A note for the timeline: it changes nothing.
	default:
		return false
	}
	return true
}

// trackRecord is what a swarm the agent joins scores it on; nil for an
// agent without results.
func (st *Stats) trackRecord() *hivev1.TrackRecord {
	if st.Completed == 0 && st.Failed == 0 {
		return nil
	}
	return &hivev1.TrackRecord{Completed: st.Completed, Failed: st.Failed, CompletedDurationNanos: int64(st.TotalDuration)}
}

func (st *Stats) record(m *hivev1.AgentTaskFinished) {
	switch m.GetOutcome() {
	case OutcomeCompleted:
		st.Completed++
		st.TotalDuration += time.Duration(m.GetDurationNanos())
		st.MeanDuration = st.TotalDuration / time.Duration(st.Completed)
	case OutcomeFailed, OutcomeTimedOut:
		st.Failed++
	default:
		st.Ended++
	}
	st.Usage = st.Usage.Add(ledger.FromProto(m.GetUsage()))
}
