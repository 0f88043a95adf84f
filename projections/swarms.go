package projections

import (
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// SwarmMember is one member of a swarm, as the swarms view shows it.
type SwarmMember struct {
	AgentID string `json:"agent_id"`
	// Name is the agent's registered name.
	Name string `json:"name"`
	// Status is "active", "draining" or "lost".
	Status string `json:"status"`
	// Role is the member's place in the topology: "hub" or "spoke" in a
	// star, "coordinator" or "worker" in a hierarchy, else "member".
	Role string `json:"role"`
}

// SwarmVote is one vote cast on an open proposal.
type SwarmVote struct {
	AgentID string  `json:"agent_id"`
	Choice  string  `json:"choice"`
	Weight  float64 `json:"weight"`
}

// SwarmProposal is an open proposal and the votes cast so far.
type SwarmProposal struct {
	ID       string      `json:"id"`
	Question string      `json:"question"`
	Options  []string    `json:"options"`
	Rule     string      `json:"rule"`
	Quorum   float64     `json:"quorum"`
	Deadline time.Time   `json:"deadline"`
	Votes    []SwarmVote `json:"votes"`
}

// SwarmRow is one swarm of the swarms view.
type SwarmRow struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Status is forming (fewer members than MinSize), active,
	// budget_exhausted or dissolved.
	Status   string `json:"status"`
	Topology string `json:"topology"`
	// LeaderID is the hub of a star or the coordinator of a hierarchy.
	LeaderID string        `json:"leader_id,omitempty"`
	MinSize  uint32        `json:"min_size"`
	MaxSize  uint32        `json:"max_size"`
	Members  []SwarmMember `json:"members"`
	// QueueDepth is how many of its tasks wait for an agent.
	QueueDepth int `json:"queue_depth"`
	// Running is how many of its tasks are assigned.
	Running       int             `json:"running"`
	OpenProposals []SwarmProposal `json:"open_proposals"`
	// Usage is what the swarm's completed tasks consumed.
	Usage UsageTotals `json:"usage"`
	// Budget is the swarm's budget and what is left of it.
	Budget    BudgetStatus `json:"budget"`
	CreatedAt time.Time    `json:"created_at"`
	// DissolvedAt is when the swarm was dissolved; zero if it was not.
	DissolvedAt time.Time `json:"dissolved_at,omitzero"`
	// Position is the log position of the last event that changed the row.
	Position uint64 `json:"position"`
}

// swarmState is a swarm as the read model keeps it.
type swarmState struct {
	ID        string           `json:"id"`
	Name      string           `json:"name"`
	Topology  string           `json:"topology"`
	Leader    string           `json:"leader,omitempty"`
	MinSize   uint32           `json:"min_size"`
	MaxSize   uint32           `json:"max_size"`
	Members   []*memberState   `json:"members"` // in join order
	Proposals []*SwarmProposal `json:"proposals"`
	Pending   int              `json:"pending"`
	Running   int              `json:"running"`
	Usage     UsageTotals      `json:"usage"`
	Budget    Amount           `json:"budget"`
	Exhausted bool             `json:"exhausted,omitempty"`
	CreatedAt time.Time        `json:"created_at"`
	// DissolvedAt is when the swarm was dissolved; zero if it was not.
	DissolvedAt time.Time `json:"dissolved_at,omitzero"`
	Position    uint64    `json:"position"`
	memberByID  map[string]*memberState
}

// memberState is a member as the read model keeps it.
type memberState struct {
	AgentID  string `json:"agent_id"`
	Lost     bool   `json:"lost,omitempty"`
	Draining bool   `json:"draining,omitempty"`
}

// Swarms is the read model of swarms: members and their roles, queue
// depth, open proposals and their votes. It is safe for concurrent use:
// one projection goroutine applies, any number of readers read.
type Swarms struct {
	mu         sync.RWMutex
	checkpoint uint64
	byID       map[string]*swarmState
	order      []string          // ids in creation order
	names      map[string]string // agent names by id
	tasks      taskTable
	touched    touched
}

var (
	_ Live       = (*Swarms)(nil)
	_ Persistent = (*Swarms)(nil)
)

// NewSwarms returns an empty swarms read model.
func NewSwarms() *Swarms {
	return &Swarms{byID: map[string]*swarmState{}, names: map[string]string{}, tasks: taskTable{}}
}

// Name implements Projection.
func (s *Swarms) Name() string { return "swarms" }

// Checkpoint implements Projection.
func (s *Swarms) Checkpoint() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.checkpoint
}

// swarmEvent reports whether the swarms view uses events of type typ.
func swarmEvent(typ string) bool {
	return strings.HasPrefix(typ, "hive.v1.Swarm") || strings.HasPrefix(typ, "hive.v1.Task") ||
		strings.HasPrefix(typ, "hive.v1.Proposal") || typ == "hive.v1.VoteCast" || typ == "hive.v1.AgentRegistered"
}

// Apply implements Projection.
func (s *Swarms) Apply(c *events.Committed) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.applyOne(c)
}

// ApplyBatch implements Batcher.
func (s *Swarms) ApplyBatch(batch []*events.Committed) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return applyEach(batch, s.applyOne)
}

// applyOne applies c; s.mu is held.
func (s *Swarms) applyOne(c *events.Committed) error {
	env := &c.Envelope
	if swarmEvent(env.Type) {
		msg, err := c.Message()
		if err != nil {
			return err
		}
		s.apply(env, msg)
	}
	s.checkpoint = env.Position
	return nil
}

func (s *Swarms) apply(env *events.Envelope, msg proto.Message) {
	switch m := msg.(type) {
	case *hivev1.AgentRegistered:
		s.names[m.GetAgentId()] = m.GetName()
		return
	case *hivev1.SwarmCreated:
		if s.byID[m.GetSwarmId()] == nil {
			s.order = append(s.order, m.GetSwarmId())
		}
		s.byID[m.GetSwarmId()] = &swarmState{ID: m.GetSwarmId(), Name: m.GetName(), Topology: m.GetTopology(), Leader: m.GetLeaderId(),
			MinSize: m.GetMinSize(), MaxSize: m.GetMaxSize(), Members: []*memberState{}, Proposals: []*SwarmProposal{}, Budget: amountOf(m.GetBudget()),
			CreatedAt: env.RecordedAt, Position: env.Position, memberByID: map[string]*memberState{}}
		s.touched.add(m.GetSwarmId())
		return
	}
	id, ok := msg.(interface{ GetSwarmId() string })
	if !ok {
		return
	}
	sw := s.byID[id.GetSwarmId()]
	if sw == nil {
		return
	}
	spent := sw.applyLedger(msg)
	if sw.applyMember(msg) || sw.applyProposal(msg) || s.applyTask(sw, msg) || spent {
		sw.Position = env.Position
		s.touched.add(sw.ID)
	}
}

// applyTask counts a task event in the swarm's queue; it reports whether
// the counts changed.
func (s *Swarms) applyTask(sw *swarmState, msg proto.Message) bool {
	_, from, to := s.tasks.move(msg)
	pf, rf := phaseCounts(from)
	pt, rt := phaseCounts(to)
	if pf == pt && rf == rt {
		return false
	}
	sw.Pending += pt - pf
	sw.Running += rt - rf
	return true
}

// phaseCounts is what a task in phase p adds to its swarm's queue depth
// and running tasks.
func phaseCounts(p taskPhase) (pending, running int) {
	switch p {
	case phasePending:
		return 1, 0
	case phaseAssigned, phaseRunning:
		return 0, 1
	}
	return 0, 0
}

// applyLedger applies what changes the swarm's spending or budget; it
// reports whether it was such an event.
func (sw *swarmState) applyLedger(msg proto.Message) bool {
	switch m := msg.(type) {
	case *hivev1.TaskCompleted:
		sw.Usage.count(m.GetUsage())
	case *hivev1.SwarmBudgetExhausted:
		sw.Exhausted = true
	case *hivev1.SwarmBudgetChanged:
		sw.Budget, sw.Exhausted = amountOf(m.GetBudget()), false
	default:
		return false
	}
	return true
}

// applyMember applies a membership event; it reports whether it was one.
func (sw *swarmState) applyMember(msg proto.Message) bool {
	switch m := msg.(type) {
	case *hivev1.SwarmMemberJoined:
		if sw.memberByID[m.GetAgentId()] == nil {
			ms := &memberState{AgentID: m.GetAgentId()}
			sw.Members = append(sw.Members, ms)
			sw.memberByID[ms.AgentID] = ms
		}
	case *hivev1.SwarmMemberLeft:
		if ms := sw.memberByID[m.GetAgentId()]; ms != nil {
			delete(sw.memberByID, ms.AgentID)
			sw.Members = slices.DeleteFunc(sw.Members, func(x *memberState) bool { return x == ms })
		}
	case *hivev1.SwarmMemberLost:
		sw.setMember(m.GetAgentId(), func(ms *memberState) { ms.Lost = true })
	case *hivev1.SwarmMemberRecovered:
		sw.setMember(m.GetAgentId(), func(ms *memberState) { ms.Lost = false })
	case *hivev1.SwarmMemberDraining:
		sw.setMember(m.GetAgentId(), func(ms *memberState) { ms.Draining = true })
	case *hivev1.SwarmLeaderChanged:
		sw.Leader = m.GetLeaderId()
	case *hivev1.SwarmSettingsChanged:
		sw.Topology, sw.MinSize, sw.MaxSize = m.GetTopology(), m.GetMinSize(), m.GetMaxSize()
	case *hivev1.SwarmDissolved:
		sw.Leader, sw.DissolvedAt = "", deadline(m.GetAtUnixNano())
	default:
		return false
	}
	return true
}

func (sw *swarmState) setMember(agentID string, set func(*memberState)) {
	if ms := sw.memberByID[agentID]; ms != nil {
		set(ms)
	}
}

// applyProposal applies a consensus event; it reports whether it was one.
func (sw *swarmState) applyProposal(msg proto.Message) bool {
	switch m := msg.(type) {
	case *hivev1.ProposalOpened:
		if sw.proposal(m.GetProposalId()) == nil {
			sw.Proposals = append(sw.Proposals, &SwarmProposal{ID: m.GetProposalId(), Question: m.GetQuestion(), Options: nonNil(m.GetOptions()),
				Rule: m.GetRule(), Quorum: m.GetQuorum(), Deadline: deadline(m.GetDeadlineUnixNano()), Votes: []SwarmVote{}})
		}
	case *hivev1.VoteCast:
		if p := sw.proposal(m.GetProposalId()); p != nil {
			p.Votes = append(p.Votes, SwarmVote{AgentID: m.GetAgentId(), Choice: m.GetOption(), Weight: m.GetWeight()})
		}
	case *hivev1.ProposalDecided:
		sw.Proposals = slices.DeleteFunc(sw.Proposals, func(p *SwarmProposal) bool { return p.ID == m.GetProposalId() })
	default:
		return false
	}
	return true
}

func (sw *swarmState) proposal(id string) *SwarmProposal {
	for _, p := range sw.Proposals {
		if p.ID == id {
			return p
		}
	}
	return nil
}
