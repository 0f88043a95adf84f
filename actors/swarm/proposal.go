package swarm

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// Rule is how a proposal's votes decide it; see the package documentation.
type Rule string

// Rules of a proposal.
const (
	Majority  Rule = "majority"
	Unanimous Rule = "unanimous"
	Weighted  Rule = "weighted"
)

// Defaults and limits of proposals.
const (
	// DefaultQuorum is the quorum of a proposal that names none.
	DefaultQuorum = 0.5
	// MinVoteWeight is the least weight of a vote under the weighted rule.
	MinVoteWeight = 0.1
)

// Propose opens a question to the swarm's members. A proposal id the swarm
// knows (open or recently decided) is not opened again.
type Propose struct {
	// ProposalID is a UUID chosen by the proposer.
	ProposalID string
	Question   string
	// Options are 2 to 20 distinct answers.
	Options []string
	Rule    Rule
	// Quorum is the fraction of the electorate (members not lost) that
	// must vote, 0 < Quorum <= 1; 0 means DefaultQuorum.
	Quorum float64
	// Deadline is when voting closes; it must be after At.
	Deadline   time.Time
	ProposedBy string
	At         time.Time
}

// CommandName implements the runtime's command naming.
func (Propose) CommandName() string { return "Propose" }

// Validate checks the command on its own, before it reaches the entity.
func (c Propose) Validate() error {
	var f decision.Fields
	checkUUID(&f, "proposal_id", c.ProposalID, true)
	if c.Question == "" {
		f.Add("question", "is required")
	}
	f.Text("question", c.Question, decision.MaxDescriptionLength, true)
	checkOptions(&f, c.Options)
	if c.Rule != Majority && c.Rule != Unanimous && c.Rule != Weighted {
		f.Add("rule", decision.Quote(string(c.Rule))+": must be one of majority, unanimous, weighted")
	}
	if !(c.Quorum >= 0 && c.Quorum <= 1) {
		f.Add("quorum", "must be more than 0 and at most 1 (0 means 0.5)")
	}
	if !c.Deadline.After(c.At) {
		f.Add("deadline", "must be after at")
	}
	f.Text("proposed_by", c.ProposedBy, decision.MaxNameLength, false)
	checkAt(&f, "at", c.At)
	return f.Err()
}

// checkOptions checks a proposal's options: their number first, then, if
// it is within the limits, each option.
func checkOptions(f *decision.Fields, options []string) {
	if len(options) < decision.MinOptions || len(options) > decision.MaxOptions {
		f.Add("options", fmt.Sprintf("must be %d to %d options, not %d", decision.MinOptions, decision.MaxOptions, len(options)))
		return
	}
	seen := make(map[string]bool, len(options))
	for i, o := range options {
		field := fmt.Sprintf("options[%d]", i)
		switch {
		case o == "":
			f.Add(field, "is required")
		case seen[o]:
			f.Add(field, fmt.Sprintf("duplicate option %s", decision.Quote(o)))
		default:
			f.Text(field, o, decision.MaxOptionLength, false)
		}
		seen[o] = true
	}
}

// Vote casts a member's vote on an open proposal. Casting the same vote
// again decides nothing; a member cannot change its vote.
type Vote struct {
	ProposalID, AgentID, Option string
	At                          time.Time
}

// CommandName implements the runtime's command naming.
func (Vote) CommandName() string { return "Vote" }

// Validate checks the command on its own, before it reaches the entity.
func (c Vote) Validate() error {
	var f decision.Fields
	checkUUID(&f, "proposal_id", c.ProposalID, true)
	checkUUID(&f, "agent_id", c.AgentID, true)
	if c.Option == "" {
		f.Add("option", "is required")
	}
	checkAt(&f, "at", c.At)
	return f.Err()
}

// proposal is an open proposal.
type proposal struct {
	opened   *hivev1.ProposalOpened
	deadline time.Time
	votes    []*hivev1.VoteCast
}

// voteOf returns the vote agentID cast on p, or nil.
func (p *proposal) voteOf(agentID string) *hivev1.VoteCast {
	for _, v := range p.votes {
		if v.GetAgentId() == agentID {
			return v
		}
	}
	return nil
}

func (s *State) propose(c Propose) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.created(); err != nil {
		return err
	}
	if _, decided := s.decided.get(c.ProposalID); decided || s.proposals.has(c.ProposalID) {
		return nil
	}
	quorum := c.Quorum
	if quorum == 0 {
		quorum = DefaultQuorum
	}
	s.emit(&hivev1.ProposalOpened{
		SwarmId: s.id, ProposalId: c.ProposalID, Question: c.Question, Options: slices.Clone(c.Options),
		Rule: string(c.Rule), Quorum: quorum, DeadlineUnixNano: nanos(c.Deadline), ProposedBy: c.ProposedBy,
		AtUnixNano: nanos(c.At),
	})
	return nil
}

func (s *State) vote(c Vote) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.created(); err != nil {
		return err
	}
	p, err := s.ballotBox(c)
	if p == nil || err != nil {
		return err
	}
	if !c.At.Before(p.deadline) {
		return fmt.Errorf("%w: voting on %s closed at %s", ErrProposalClosed, c.ProposalID, p.deadline.Format(time.RFC3339Nano))
	}
	i := s.member(c.AgentID)
	if i < 0 {
		return fmt.Errorf("%w: %s", ErrNotMember, c.AgentID)
	}
	if !slices.Contains(p.opened.GetOptions(), c.Option) {
		var f decision.Fields
		f.Add("option", decision.Quote(c.Option)+" is not one of the proposal's options")
		return f.Err()
	}
	weight := 1.0
	if Rule(p.opened.GetRule()) == Weighted {
		m := s.mem(i)
		weight = max(MinVoteWeight, m.rate)
	}
	s.emit(&hivev1.VoteCast{
		SwarmId: s.id, ProposalId: c.ProposalID, AgentId: c.AgentID, Option: c.Option, Weight: weight, AtUnixNano: nanos(c.At),
	})
	if p, _ := s.proposals.get(c.ProposalID); s.settled(p) {
		s.decide(p, c.At, true)
	}
	return nil
}

// ballotBox returns the open proposal c votes on, or nil if c was cast
// already; a vote cast on a decided proposal is recognized too.
func (s *State) ballotBox(c Vote) (*proposal, error) {
	p, ok := s.proposals.get(c.ProposalID)
	if !ok {
		if votes, decided := s.decided.get(c.ProposalID); decided {
			if votes[c.AgentID] == c.Option {
				return nil, nil
			}
			return nil, fmt.Errorf("%w: %s was decided", ErrProposalClosed, c.ProposalID)
		}
		return nil, fmt.Errorf("%w: %s", ErrProposalNotFound, c.ProposalID)
	}
	if v := p.voteOf(c.AgentID); v != nil {
		if v.GetOption() == c.Option {
			return nil, nil
		}
		return nil, fmt.Errorf("%w: %s voted %q on %s", ErrAlreadyVoted, c.AgentID, v.GetOption(), c.ProposalID)
	}
	return p, nil
}

// openProposals returns the open proposals in the order they were opened.
func (s *State) openProposals() []*proposal {
	ps := make([]*proposal, 0, s.proposals.len())
	s.proposals.each(func(_ string, p *proposal) { ps = append(ps, p) })
	slices.SortFunc(ps, func(a, b *proposal) int {
		if c := cmp.Compare(a.opened.GetAtUnixNano(), b.opened.GetAtUnixNano()); c != 0 {
			return c
		}
		return cmp.Compare(a.opened.GetProposalId(), b.opened.GetProposalId())
	})
	return ps
}

// applyProposal applies the events of consensus; it reports false for an
// event it does not know.
func (s *State) applyProposal(msg any) bool {
	switch m := msg.(type) {
	case *hivev1.ProposalOpened:
		s.proposals.set(m.GetProposalId(), &proposal{opened: m, deadline: unixNano(m.GetDeadlineUnixNano())})
	case *hivev1.VoteCast:
		if p, ok := s.proposals.get(m.GetProposalId()); ok {
			c := *p
			c.votes = append(slices.Clip(p.votes), m)
			s.proposals.set(m.GetProposalId(), &c)
		}
	case *hivev1.ProposalDecided:
		votes := make(map[string]string, len(m.GetVotes()))
		for _, b := range m.GetVotes() {
			votes[b.GetAgentId()] = b.GetOption()
		}
		s.proposals.del(m.GetProposalId())
		s.decided.add(m.GetProposalId(), votes, s.at, RecentProposals)
	default:
		return false
	}
	return true
}
