package swarm

import (
	"fmt"
	"math"
	"time"

	hivev1 "hive/proto/hive/v1"
)

// electorate is how many members may vote: those not lost.
func (s *State) electorate() int {
	n := 0
	for i := range s.members {
		if !s.mem(i).lost {
			n++
		}
	}
	return n
}

// quorate reports whether votes cast by electorate members meet quorum.
func quorate(votes, electorate int, quorum float64) bool {
	return votes > 0 && float64(votes) >= math.Ceil(quorum*float64(electorate)-1e-9)
}

// tally counts p's votes per option, in the order of the options.
func tally(p *proposal) []*hivev1.ProposalDecided_Tally {
	ts := make([]*hivev1.ProposalDecided_Tally, len(p.opened.GetOptions()))
	at := make(map[string]int, len(ts))
	for i, o := range p.opened.GetOptions() {
		ts[i] = &hivev1.ProposalDecided_Tally{Option: o}
		at[o] = i
	}
	for _, v := range p.votes {
		t := ts[at[v.GetOption()]]
		t.Votes++
		t.Weight += v.GetWeight()
	}
	return ts
}

// measure is what decides under rule r: weights for weighted, else votes.
func measure(r Rule, t *hivev1.ProposalDecided_Tally) float64 {
	if r == Weighted {
		return t.GetWeight()
	}
	return float64(t.GetVotes())
}

// outcome decides p with the given electorate.
func outcome(p *proposal, ts []*hivev1.ProposalDecided_Tally, electorate int) (option, reason string) {
	rule, quorum := Rule(p.opened.GetRule()), p.opened.GetQuorum()
	first, second, total := leaders(rule, ts)
	switch {
	case rule == Unanimous && measure(rule, first) < total:
		return "", "not unanimous"
	case !quorate(len(p.votes), electorate, quorum):
		return "", fmt.Sprintf("no quorum: %d of %d members voted, %.0f%% needed", len(p.votes), electorate, quorum*100)
	case rule == Unanimous:
		return first.GetOption(), "unanimous"
	case second != nil && measure(rule, first) == measure(rule, second):
		return "", "tie"
	case measure(rule, first) > total/2:
		return first.GetOption(), string(rule)
	}
	return "", fmt.Sprintf("no %s: no option has more than half the votes", rule)
}

// leaders returns the tallies with the most and second most votes (or
// weight), and the total.
func leaders(r Rule, ts []*hivev1.ProposalDecided_Tally) (first, second *hivev1.ProposalDecided_Tally, total float64) {
	for _, t := range ts {
		total += measure(r, t)
		switch {
		case first == nil || measure(r, t) > measure(r, first):
			first, second = t, first
		case second == nil || measure(r, t) > measure(r, second):
			second = t
		}
	}
	return first, second, total
}

// settled reports whether p's outcome can no longer change with the
// current members: every elector voted, a unanimous vote was broken, or an
// option has more than half of all the votes (or weight) still possible.
func (s *State) settled(p *proposal) bool {
	electorate, pending := s.electorate(), 0
	for i := range s.members {
		if m := s.mem(i); !m.lost && p.voteOf(m.id) == nil {
			pending++
		}
	}
	if pending == 0 {
		return true
	}
	rule := Rule(p.opened.GetRule())
	first, second, total := leaders(rule, tally(p))
	if rule == Unanimous {
		return second != nil && second.GetVotes() > 0
	}
	// Each vote still possible counts at most 1, under every rule.
	return quorate(len(p.votes), electorate, p.opened.GetQuorum()) && measure(rule, first) > (total+float64(pending))/2
}

// decide decides p at at.
func (s *State) decide(p *proposal, at time.Time, early bool) {
	electorate := s.electorate()
	ts := tally(p)
	option, reason := outcome(p, ts, electorate)
	s.emit(decided(s.id, p, ts, option, reason, electorate, early, at))
}

// decided is the ProposalDecided of p with its tallies ts.
func decided(swarmID string, p *proposal, ts []*hivev1.ProposalDecided_Tally, option, reason string, electorate int, early bool, at time.Time) *hivev1.ProposalDecided {
	votes := make([]*hivev1.ProposalDecided_Ballot, len(p.votes))
	for i, v := range p.votes {
		votes[i] = &hivev1.ProposalDecided_Ballot{AgentId: v.GetAgentId(), Option: v.GetOption(), Weight: v.GetWeight()}
	}
	return &hivev1.ProposalDecided{
		SwarmId: swarmID, ProposalId: p.opened.GetProposalId(), Outcome: option, Reason: reason,
		Rule: p.opened.GetRule(), Quorum: p.opened.GetQuorum(), Votes: votes, Tallies: ts,
		Electorate: uint32(electorate), Early: early, AtUnixNano: nanos(at),
	}
}
