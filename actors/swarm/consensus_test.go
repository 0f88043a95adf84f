package swarm_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

const pid = "5f0c2a9e-7b1d-4e3f-8a6c-1d2e3f4a5b6c"

func opened(rule swarm.Rule, quorum float64) *hivev1.ProposalOpened {
	return &hivev1.ProposalOpened{
		SwarmId: sid, ProposalId: pid, Question: "Which framework?", Options: []string{"a", "b", "c"}, Rule: string(rule),
		Quorum: quorum, DeadlineUnixNano: ns(at(time.Hour)), ProposedBy: "alice", AtUnixNano: ns(t0),
	}
}

func cast(n int, option string, weight float64) *hivev1.VoteCast {
	return &hivev1.VoteCast{SwarmId: sid, ProposalId: pid, AgentId: ag(n), Option: option, Weight: weight, AtUnixNano: ns(at(time.Minute))}
}

func vote(n int, option string) swarm.Vote {
	return swarm.Vote{ProposalID: pid, AgentID: ag(n), Option: option, At: at(time.Minute)}
}

func ballot(n int, option string, weight float64) *hivev1.ProposalDecided_Ballot {
	return &hivev1.ProposalDecided_Ballot{AgentId: ag(n), Option: option, Weight: weight}
}

func tallies(a, b, c uint32, wa, wb, wc float64) []*hivev1.ProposalDecided_Tally {
	return []*hivev1.ProposalDecided_Tally{{Option: "a", Votes: a, Weight: wa}, {Option: "b", Votes: b, Weight: wb}, {Option: "c", Votes: c, Weight: wc}}
}

// members3 is a swarm of three members.
func members3(evs ...proto.Message) []proto.Message {
	return append([]proto.Message{created(swarm.Mesh), joined(1, 1), joined(2, 1), joined(3, 1)}, evs...)
}

func TestPropose(t *testing.T) {
	propose := swarm.Propose{
		ProposalID: pid, Question: "Which framework?", Options: []string{"a", "b", "c"}, Rule: swarm.Majority,
		Deadline: at(time.Hour), ProposedBy: "alice", At: t0,
	}
	decided := &hivev1.ProposalDecided{SwarmId: sid, ProposalId: pid}
	runCases(t, []decisionCase{
		{name: "open with the default quorum", given: members3(), when: propose, then: []proto.Message{opened(swarm.Majority, 0.5)}},
		{name: "open again", given: members3(opened(swarm.Majority, 0.5)), when: propose},
		{name: "open again once decided", given: members3(opened(swarm.Majority, 0.5), decided), when: propose},
		{
			name:    "bad fields",
			given:   members3(),
			when:    swarm.Propose{ProposalID: "p", Options: []string{"a", "", "a"}, Rule: "plurality", Quorum: 1.5, Deadline: t0, At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"proposal_id", "question", "options[1]", "options[2]", "rule", "quorum", "deadline"},
		},
		{
			name:    "one option",
			given:   members3(),
			when:    swarm.Propose{ProposalID: pid, Question: "q", Options: []string{"a"}, Rule: swarm.Majority, Deadline: at(1), At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"options"},
		},
		{
			name:  "too many options, all the same: only their number is reported",
			given: members3(),
			when: swarm.Propose{ProposalID: pid, Question: "q", Options: slices.Repeat([]string{"a"}, decision.MaxOptions+1),
				Rule: swarm.Majority, Deadline: at(1), At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"options"},
		},
	})
}

func TestVote(t *testing.T) {
	open := func(evs ...proto.Message) []proto.Message {
		return members3(append([]proto.Message{opened(swarm.Majority, 0.5)}, evs...)...)
	}
	decided := &hivev1.ProposalDecided{SwarmId: sid, ProposalId: pid, Votes: []*hivev1.ProposalDecided_Ballot{ballot(1, "a", 1)}}
	runCases(t, []decisionCase{
		{name: "vote", given: open(), when: vote(1, "a"), then: []proto.Message{cast(1, "a", 1)}},
		{name: "the same vote again", given: open(cast(1, "a", 1)), when: vote(1, "a")},
		{name: "the same vote once decided", given: open(cast(1, "a", 1), decided), when: vote(1, "a")},
		{name: "another vote", given: open(cast(1, "a", 1)), when: vote(1, "b"), wantErr: swarm.ErrAlreadyVoted},
		{name: "not a member", given: open(), when: vote(4, "a"), wantErr: swarm.ErrNotMember},
		{name: "not an option", given: open(), when: vote(1, "d"), wantErr: decision.ErrInvalid, fields: []string{"option"}},
		{name: "unknown proposal", given: members3(), when: vote(1, "a"), wantErr: swarm.ErrProposalNotFound},
		{name: "decided", given: open(decided), when: vote(2, "a"), wantErr: swarm.ErrProposalClosed},
		{
			name:    "at the deadline",
			given:   open(),
			when:    swarm.Vote{ProposalID: pid, AgentID: ag(1), Option: "a", At: at(time.Hour)},
			wantErr: swarm.ErrProposalClosed, msg: "closed at",
		},
		{name: "bad fields", given: open(), when: swarm.Vote{ProposalID: pid}, wantErr: decision.ErrInvalid, fields: []string{"agent_id", "option", "at"}},
	})
}

func TestConsensus(t *testing.T) {
	decided := func(outcome, reason string, rule swarm.Rule, quorum float64, electorate uint32, early bool, ts []*hivev1.ProposalDecided_Tally, votes ...*hivev1.ProposalDecided_Ballot) *hivev1.ProposalDecided {
		when := at(time.Minute)
		if !early {
			when = at(time.Hour)
		}
		return &hivev1.ProposalDecided{
			SwarmId: sid, ProposalId: pid, Outcome: outcome, Reason: reason, Rule: string(rule), Quorum: quorum,
			Votes: votes, Tallies: ts, Electorate: electorate, Early: early, AtUnixNano: ns(when),
		}
	}
	// Member 1 completed 9 tasks (success rate 10/11); members 2 and 3
	// failed 4 each (1/6); member 4 failed 20 (1/22, floored to 0.1).
	weighted := []proto.Message{created(swarm.Mesh), joined(1, 1), joined(2, 1), joined(3, 1), joined(4, 1)}
	weighted = append(weighted, history(1, 1, 9, time.Minute)...)
	seq := uint64(10)
	for _, f := range []struct{ n, failures int }{{2, 4}, {3, 4}, {4, 20}} {
		n := f.n
		for range f.failures {
			weighted = append(weighted, queued(seq, ""), assignedTo(seq, n, 1, t0),
				&hivev1.TaskFailed{SwarmId: sid, TaskId: tid(seq), AgentId: ag(n), Attempt: 1, Failure: &hivev1.TaskFailure{Cause: swarm.CauseFailed}})
			seq++
		}
	}
	w1, w2, w4 := 10.0/11, 1.0/6, 0.1
	runCases(t, []decisionCase{
		{
			name:  "majority: decided as soon as an option has most of the electorate",
			given: members3(opened(swarm.Majority, 0.5), cast(1, "b", 1)),
			when:  vote(2, "b"),
			then: []proto.Message{cast(2, "b", 1),
				decided("b", "majority", swarm.Majority, 0.5, 3, true, tallies(0, 2, 0, 0, 2, 0), ballot(1, "b", 1), ballot(2, "b", 1))},
		},
		{
			name:  "majority: not yet decided while the others could tie",
			given: members3(opened(swarm.Majority, 0.5), cast(1, "b", 1)),
			when:  vote(2, "a"),
			then:  []proto.Message{cast(2, "a", 1)},
		},
		{
			name:  "majority: a tie once all voted",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), joined(2, 1), opened(swarm.Majority, 0.5), cast(1, "a", 1)},
			when:  vote(2, "b"),
			then: []proto.Message{cast(2, "b", 1),
				decided("", "tie", swarm.Majority, 0.5, 2, true, tallies(1, 1, 0, 1, 1, 0), ballot(1, "a", 1), ballot(2, "b", 1))},
		},
		{
			name:  "majority: no option has more than half once all voted",
			given: members3(opened(swarm.Majority, 0.5), cast(1, "a", 1), cast(2, "b", 1)),
			when:  vote(3, "c"),
			then: []proto.Message{cast(3, "c", 1),
				decided("", "tie", swarm.Majority, 0.5, 3, true, tallies(1, 1, 1, 1, 1, 1), ballot(1, "a", 1), ballot(2, "b", 1), ballot(3, "c", 1))},
		},
		{
			name:  "unanimous: decided when all voted alike",
			given: members3(opened(swarm.Unanimous, 1), cast(1, "a", 1), cast(2, "a", 1)),
			when:  vote(3, "a"),
			then: []proto.Message{cast(3, "a", 1),
				decided("a", "unanimous", swarm.Unanimous, 1, 3, true, tallies(3, 0, 0, 3, 0, 0), ballot(1, "a", 1), ballot(2, "a", 1), ballot(3, "a", 1))},
		},
		{
			name:  "unanimous: decided as soon as a vote differs",
			given: members3(opened(swarm.Unanimous, 1), cast(1, "a", 1)),
			when:  vote(2, "b"),
			then: []proto.Message{cast(2, "b", 1),
				decided("", "not unanimous", swarm.Unanimous, 1, 3, true, tallies(1, 1, 0, 1, 1, 0), ballot(1, "a", 1), ballot(2, "b", 1))},
		},
		{
			name:  "weighted: the veteran outweighs two poor records",
			given: append(weighted, opened(swarm.Weighted, 1), cast(1, "a", w1), cast(2, "b", w2), cast(3, "b", w2)),
			when:  vote(4, "b"),
			then: []proto.Message{cast(4, "b", w4),
				decided("a", "weighted", swarm.Weighted, 1, 4, true, tallies(1, 3, 0, w1, 2*w2+w4, 0),
					ballot(1, "a", w1), ballot(2, "b", w2), ballot(3, "b", w2), ballot(4, "b", w4))},
		},
		{
			name:  "quorum not met at the deadline",
			given: members3(opened(swarm.Majority, 0.75), cast(1, "a", 1)),
			when:  swarm.Tick{Now: at(time.Hour)},
			then: []proto.Message{decided("", "no quorum: 1 of 3 members voted, 75% needed", swarm.Majority, 0.75, 3, false,
				tallies(1, 0, 0, 1, 0, 0), ballot(1, "a", 1))},
		},
		{
			name:  "decided at the deadline with the votes cast",
			given: members3(opened(swarm.Majority, 0.5), cast(1, "a", 1), cast(2, "b", 1), &hivev1.SwarmMemberLost{SwarmId: sid, AgentId: ag(3)}),
			when:  swarm.Tick{Now: at(2 * time.Hour)},
			then: []proto.Message{func() *hivev1.ProposalDecided {
				d := decided("", "tie", swarm.Majority, 0.5, 2, false, tallies(1, 1, 0, 1, 1, 0), ballot(1, "a", 1), ballot(2, "b", 1))
				d.AtUnixNano = ns(at(2 * time.Hour))
				return d
			}()},
		},
		{name: "nothing due before the deadline", given: members3(opened(swarm.Majority, 0.5)), when: swarm.Tick{Now: at(59 * time.Minute)}},
	})
}

func TestWeightedVoteWeights(t *testing.T) {
	s := given(t, created(swarm.Mesh), joined(1, 1), joined(2, 1), opened(swarm.Weighted, 0.5))
	evs := decide(t, &s, vote(1, "a"))
	if w := evs[0].(*hivev1.VoteCast).GetWeight(); w != 0.5 {
		t.Fatalf("a new member's weight = %v, want 0.5", w)
	}
	if v := view(&s); len(v.Proposals) != 1 || len(v.Proposals[0].Votes) != 1 || v.Proposals[0].Rule != swarm.Weighted {
		t.Fatalf("proposals = %+v", v.Proposals)
	}
}
