package swarm_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

// past is a swarm that ran tasks and proposals, and the commands sent
// again (as a router does after a crash) whose answers rest on what the
// swarm remembers of them.
type past struct {
	j     journal
	again []any
}

// ended adds task seq, submitted under key and ended by agent n with the
// event of type outcome, and the commands about it that are sent again.
func (h *past) ended(seq uint64, n int, outcome string) {
	key := fmt.Sprint("key-", seq)
	at := ns(t0.Add(time.Duration(seq) * time.Second))
	h.j = append(h.j,
		&hivev1.TaskQueued{SwarmId: sid, TaskId: tid(seq), Seq: seq, Key: key, MaxAttempts: 1, AtUnixNano: at},
		&hivev1.TaskAssigned{SwarmId: sid, TaskId: tid(seq), AgentId: ag(n), Key: key, Attempt: 1, AtUnixNano: at})
	switch outcome {
	case "completed":
		h.j = append(h.j, &hivev1.TaskCompleted{SwarmId: sid, TaskId: tid(seq), AgentId: ag(n), Key: key, Attempt: 1, DurationNanos: 1, AtUnixNano: at})
		h.again = append(h.again, swarm.CompleteTask{TaskID: tid(seq), AgentID: ag(n), At: t0})
	case "failed":
		h.j = append(h.j, &hivev1.TaskFailed{SwarmId: sid, TaskId: tid(seq), AgentId: ag(n), Key: key, Attempt: 1,
			Failure: &hivev1.TaskFailure{Cause: swarm.CauseFailed, Reason: "no"}, AtUnixNano: at})
		h.again = append(h.again, swarm.FailTask{TaskID: tid(seq), AgentID: ag(n), At: t0})
	case "cancelled":
		h.j = append(h.j, &hivev1.TaskCancelled{SwarmId: sid, TaskId: tid(seq), AgentId: ag(n), Key: key, Attempt: 1, Reason: "stop", AtUnixNano: at})
	}
	h.again = append(h.again, swarm.SubmitTask{Key: key, At: t0})
}

// decided adds proposal p, voted x by agent n, and the commands sent again.
func (h *past) decided(p, n int) {
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", p)
	h.j = append(h.j,
		&hivev1.ProposalOpened{SwarmId: sid, ProposalId: id, Question: "?", Options: []string{"x", "y"}, Rule: "majority", Quorum: 0.5,
			DeadlineUnixNano: ns(at(time.Hour)), AtUnixNano: ns(t0)},
		&hivev1.VoteCast{SwarmId: sid, ProposalId: id, AgentId: ag(n), Option: "x", AtUnixNano: ns(t0)},
		&hivev1.ProposalDecided{SwarmId: sid, ProposalId: id, Outcome: "x", Rule: "majority", Quorum: 0.5,
			Votes: []*hivev1.ProposalDecided_Ballot{{AgentId: ag(n), Option: "x", Weight: 1}}, Electorate: 1, AtUnixNano: ns(t0)})
	h.again = append(h.again,
		swarm.Propose{ProposalID: id, Question: "?", Options: []string{"x", "y"}, Rule: swarm.Majority, Deadline: at(time.Hour), At: t0},
		swarm.Vote{ProposalID: id, AgentID: ag(n), Option: "x", At: t0})
}

// flaps adds n events that end nothing: a member lost and recovered.
func (h *past) flaps(n int) {
	for i := range n {
		if i%2 == 0 {
			h.j = append(h.j, &hivev1.SwarmMemberLost{SwarmId: sid, AgentId: ag(1), AtUnixNano: ns(t0)})
		} else {
			h.j = append(h.j, &hivev1.SwarmMemberRecovered{SwarmId: sid, AgentId: ag(1), AtUnixNano: ns(t0)})
		}
	}
}

func newPast() *past {
	return &past{j: journal{created(swarm.Mesh), joined(1, 4), joined(2, 4)}}
}

// TestSnapshotLeavesItsMemoryToRecall checks that a swarm's snapshot holds
// no finished task or decided proposal, and that a swarm restored from it
// and handed the events it recalls decides what the swarm decided on the
// commands sent again, whether it remembers all it ended, only the newest
// RecentTasks tasks, or only those within RecallWindow events.
func TestSnapshotLeavesItsMemoryToRecall(t *testing.T) {
	outcomes := []string{"completed", "failed", "cancelled"}
	for _, tc := range []struct {
		name    string
		history func(h *past)
	}{
		{"a few tasks and proposals", func(h *past) {
			for seq := range uint64(30) {
				h.ended(seq+1, 1+int(seq%2), outcomes[seq%3])
			}
			for p := range 5 {
				h.decided(p, 2)
			}
		}},
		{"more tasks than it remembers", func(h *past) {
			for seq := range uint64(swarm.RecentTasks + 50) {
				h.ended(seq+1, 1, outcomes[seq%3])
			}
		}},
		{"old tasks, and more events since than the window", func(h *past) {
			for seq := range uint64(40) {
				h.ended(seq+1, 2, outcomes[seq%3])
			}
			h.decided(1, 2)
			h.flaps(swarm.RecallWindow - 50)
			for seq := range uint64(40) {
				h.ended(seq+41, 2, outcomes[seq%3])
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newPast()
			tc.history(h)
			s := given(t, h.j...)
			snap, err := s.Snapshot()
			if err != nil {
				t.Fatal(err)
			}
			if m := snap.(*hivev1.SwarmSnapshot); len(m.GetFinished()) > 0 || len(m.GetDecidedProposals()) > 0 {
				t.Fatalf("the snapshot holds %d finished tasks, %d decided proposals", len(m.GetFinished()), len(m.GetDecidedProposals()))
			}
			r := snapshotRoundTrip(t, &s, h.j)
			differ := 0
			for _, c := range h.again {
				want, wantErr := decideOnly(t, &s, c)
				got, gotErr := decideOnly(t, &r, c)
				if !errors.Is(gotErr, wantErr) && (gotErr == nil || wantErr == nil || gotErr.Error() != wantErr.Error()) || !equalEvents(got, want) {
					t.Fatalf("%T sent again: restored swarm decided\n%s%v\nwant\n%s%v", c, dump(got), gotErr, dump(want), wantErr)
				}
				if unrecalled := restored(t, &s); !decidesAlike(t, &unrecalled, &s, c) {
					differ++
				}
			}
			if differ == 0 {
				t.Fatal("without recall the restored swarm decides alike: the test checks nothing")
			}
		})
	}
}

// decidesAlike reports whether a and b decide c alike.
func decidesAlike(t *testing.T, a, b *swarm.State, c any) bool {
	t.Helper()
	ea, erra := decideOnly(t, a, c)
	eb, errb := decideOnly(t, b, c)
	return (erra == nil) == (errb == nil) && equalEvents(ea, eb)
}

// TestRecallRefusesEventsOutsideTheRange checks that Recall takes only the
// events it asked for.
func TestRecallRefusesEventsOutsideTheRange(t *testing.T) {
	h := newPast()
	h.ended(1, 1, "completed")
	s := given(t, h.j...)
	r := restored(t, &s)
	from := r.RecallFrom()
	if from == 0 {
		t.Fatal("nothing to recall")
	}
	for _, v := range []uint64{from - 1, s.Version() + 1} {
		env := envelopeAt(v, h.j[len(h.j)-1])
		if err := r.Recall(env, h.j[len(h.j)-1]); err == nil {
			t.Errorf("recalled version %d, outside %d to %d", v, from, s.Version())
		}
	}
}

// TestMemoryOfEndedTasksIsBounded checks what a swarm remembers of a task
// that ended: its key and result, until RecentTasks tasks ended after it
// or RecallWindow of its events passed; then a submission under its key
// is a new task.
func TestMemoryOfEndedTasksIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name       string
		since      func(h *past)
		remembered bool
	}{
		{"RecentTasks-1 tasks ended since", func(h *past) {
			for seq := range uint64(swarm.RecentTasks - 1) {
				h.ended(seq+2, 1, "completed")
			}
		}, true},
		{"RecentTasks tasks ended since", func(h *past) {
			for seq := range uint64(swarm.RecentTasks) {
				h.ended(seq+2, 1, "completed")
			}
		}, false},
		{"RecallWindow-1 events since", func(h *past) { h.flaps(swarm.RecallWindow - 1) }, true},
		{"RecallWindow events since", func(h *past) { h.flaps(swarm.RecallWindow) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newPast()
			h.ended(1, 2, "completed")
			tc.since(h)
			s := given(t, h.j...)
			evs, err := decideOnly(t, &s, swarm.SubmitTask{Key: "key-1", At: t0})
			if err != nil {
				t.Fatal(err)
			}
			if remembered := len(evs) == 0; remembered != tc.remembered {
				t.Fatalf("submitting key-1 again decided %s; want remembered %v", dump(evs), tc.remembered)
			}
			_, err = decideOnly(t, &s, swarm.CompleteTask{TaskID: tid(1), AgentID: ag(2), At: t0})
			if remembered := err == nil; remembered != tc.remembered {
				t.Fatalf("completing task 1 again: %v; want remembered %v", err, tc.remembered)
			}
		})
	}
}

// TestSnapshotsThatHoldTheMemoryStillRestoreIt checks that a snapshot
// taken before snapshots left the memory out (finished tasks in it, no
// finished_from) restores it: nothing to recall, and the tasks it holds
// are remembered.
func TestSnapshotsThatHoldTheMemoryStillRestoreIt(t *testing.T) {
	h := newPast()
	h.ended(1, 2, "completed")
	s := given(t, h.j...)
	msg, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	old := msg.(*hivev1.SwarmSnapshot)
	old.FinishedFrom, old.FinishedBefore = 0, 0
	old.Finished = []*hivev1.SwarmSnapshot_Finished{{Seq: 1, Key: "key-1", Outcome: "completed", AgentId: ag(2)}}
	var r swarm.State
	if err := r.Restore(old, s.Version()); err != nil {
		t.Fatal(err)
	}
	if r.RecallFrom() != 0 {
		t.Fatalf("recall from %d, want nothing to recall", r.RecallFrom())
	}
	for _, c := range h.again {
		if evs, err := decideOnly(t, &r, c); err != nil || len(evs) > 0 {
			t.Fatalf("%T sent again: %s%v, want nothing", c, dump(evs), err)
		}
	}
}
