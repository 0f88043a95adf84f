package swarm

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"hive/actors/ledger"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Kind is the entity kind of swarms; a swarm's stream is "swarm-<id>".
const Kind = "swarm"

// Status is a swarm's status.
type Status string

// Statuses of a swarm. Only an active swarm assigns tasks.
const (
	StatusNotCreated      Status = ""
	StatusForming         Status = "forming"
	StatusActive          Status = "active"
	StatusBudgetExhausted Status = "budget_exhausted"
	StatusDissolved       Status = "dissolved"
)

// idNamespace scopes the name-derived ids of swarms.
var idNamespace = uuid.MustParse("3b9e5a71-0c4d-4f28-b6e1-8d2a7c90f513")

// IDFor returns the id of the swarm created under name. Names are unique,
// so a swarm's identity is derived from its name: every request to create a
// name reaches the same entity, which decides once.
func IDFor(name string) string {
	return uuid.NewSHA1(idNamespace, []byte(name)).String()
}

// State is what Hive knows about one swarm, rebuilt from its events. The
// zero State is a swarm not yet created. It is not safe for concurrent use.
type State struct {
	// cfg is the server's defaults, kept across the resets of creation
	// and Restore.
	cfg       Config
	id, name  string
	topology  Topology
	leader    string
	weights   Weights
	minSize   int
	maxSize   int
	budget    ledger.Budget
	spent     ledger.Usage
	exhausted bool
	createdAt time.Time
	version   uint64
	// clock is the latest time the swarm's events carry: the time of a
	// command that carries none (see ResumeRun).
	clock time.Time
	// dissolvedAt is when the swarm was dissolved (zero if it was not),
	// and dissolveReason why.
	dissolvedAt    time.Time
	dissolveReason string

	// lastSeq is the sequence number of the last task submitted.
	lastSeq uint64
	// cursor is the member that got the previous assignment (ring).
	cursor string

	// members are in join order; memberAt indexes them by agent id.
	members  []*member
	memberAt map[string]int
	// capIDs interns the members' capabilities for member.has, and
	// holders lists the indexes of the members with each, in join order.
	capIDs  map[string]int
	holders [][]int32
	// free is how many more tasks the available members can take.
	free int

	// tasks are the unfinished tasks by sequence number; queue orders the
	// queued ones (see queue.go).
	tasks table[uint64, *task]
	queue []queued
	// keys maps the idempotency keys of unfinished and recently finished
	// tasks to their sequence numbers.
	keys     table[string, uint64]
	finished recent[uint64, finished]
	paused   table[string, struct{}]
	// runs are the budgets of the runs with unfinished tasks (see
	// runbudget.go).
	runs table[string, runLedger]
	// agentVersions is, per agent, the version of the newest agent event a
	// member command followed (see MemberLost).
	agentVersions table[string, uint64]
	counts        counts

	proposals table[string, *proposal]
	decided   recent[string, map[string]string]

	// at is the version of the event being applied (in a draft, of the
	// event being decided): the memory of finished tasks and decided
	// proposals records it, to forget them RecallWindow events later.
	at uint64
	// recall is, after Restore and until Recall reaches the snapshot's
	// version, where to recall the memory from.
	recall recall

	// ov is nil in a state, and holds a decision's bookkeeping in a draft.
	ov *overlay
}

// counts are totals over the swarm's life.
type counts struct {
	completed, failed, cancelled uint64
	// completedDuration is the total duration of completed tasks.
	completedDuration time.Duration
}

// Apply evolves the state by one recorded event.
func (s *State) Apply(env *events.Envelope, msg proto.Message) error {
	s.at = env.Version
	if !s.apply(msg) {
		return fmt.Errorf("swarm %s: %w: %s", s.id, events.ErrUnknownType, env.Type)
	}
	if m, ok := msg.(*hivev1.TaskQueued); ok {
		if t, ok := s.tasks.get(m.GetSeq()); ok {
			t.correlation = env.CorrelationID
		}
	}
	s.version = env.Version
	return nil
}

// ID is the swarm's id; empty until it is created.
func (s *State) ID() string { return s.id }

// Version is the version of the swarm's stream the state reflects.
func (s *State) Version() uint64 { return s.version }

// Status is the swarm's status.
func (s *State) Status() Status {
	switch {
	case s.id == "":
		return StatusNotCreated
	case !s.dissolvedAt.IsZero():
		return StatusDissolved
	case s.exhausted:
		return StatusBudgetExhausted
	case len(s.members) < s.minSize:
		return StatusForming
	}
	return StatusActive
}

// unixNano is the time of a time field; 0 is none.
func unixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// nanos is the time field of t; the zero time is 0.
func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}
