package swarm_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/events"
)

// driver sends a swarm a reproducible stream of random commands.
type driver struct {
	rng *rand.Rand
	now time.Time
	n   int
}

func newDriver(seed uint64) *driver {
	return &driver{rng: rand.New(rand.NewPCG(seed, 1)), now: t0}
}

// next returns a random command, mostly valid and mostly about the
// swarm's members and unfinished tasks.
func (d *driver) next(s *swarm.State) any {
	d.now = d.now.Add(time.Duration(d.rng.IntN(20)) * time.Second)
	d.n++
	v := view(s)
	member := ag(1 + d.rng.IntN(8))
	if len(v.Members) > 0 && d.rng.IntN(2) == 0 {
		member = v.Members[d.rng.IntN(len(v.Members))].AgentID
	}
	task := tid(uint64(1 + d.rng.IntN(d.n)))
	if len(v.Tasks) > 0 && d.rng.IntN(4) > 0 {
		t := v.Tasks[d.rng.IntN(len(v.Tasks))]
		task = t.ID
		if t.AgentID != "" {
			member = t.AgentID
		}
	}
	run := fmt.Sprintf("run-%d", d.rng.IntN(3))
	proposal := fmt.Sprintf("00000000-0000-4000-8000-%012d", d.n/40)
	caps := [][]string{nil, {"code"}, {"code", "docs"}, {"docs"}}
	switch d.rng.IntN(20) {
	case 0, 1:
		return swarm.AddMember{AgentID: ag(1 + d.rng.IntN(8)), Capabilities: caps[d.rng.IntN(4)], MaxConcurrency: d.rng.IntN(4), At: d.now}
	case 2:
		return swarm.RemoveMember{AgentID: member, Reason: "churn", At: d.now}
	case 3:
		return swarm.MemberLost{AgentID: member, At: d.now}
	case 4:
		return swarm.MemberRecovered{AgentID: member, At: d.now}
	case 5:
		return swarm.MemberDraining{AgentID: member, At: d.now}
	case 6, 7, 8, 9:
		return swarm.SubmitTask{
			Key: fmt.Sprintf("k%d", d.n-d.rng.IntN(3)), RunID: run, Capability: []string{"", "code", "docs"}[d.rng.IntN(3)],
			Priority: d.rng.IntN(10), MaxAttempts: d.rng.IntN(4), Backoff: time.Duration(d.rng.IntN(3)) * 10 * time.Second,
			Timeout: time.Duration(d.rng.IntN(3)) * time.Minute, Planner: d.rng.IntN(4) == 0, At: d.now,
		}
	case 10, 11, 12:
		return swarm.CompleteTask{TaskID: task, AgentID: member, Usage: ledger.Usage{InputTokens: int64(d.rng.IntN(50))}, At: d.now}
	case 13:
		return swarm.FailTask{TaskID: task, AgentID: member, Retryable: d.rng.IntN(2) == 0, At: d.now}
	case 14:
		if d.rng.IntN(2) == 0 {
			return swarm.PauseRun{RunID: run, At: d.now}
		}
		if d.rng.IntN(2) == 0 {
			return swarm.ResumeRun{RunID: run} // dated by the swarm's clock
		}
		return swarm.ResumeRun{RunID: run, At: d.now}
	case 15:
		if d.rng.IntN(3) == 0 {
			return swarm.CancelRunTasks{RunID: run, Reason: "cancelled", At: d.now}
		}
		return swarm.RaiseBudget{Budget: ledger.Budget{Tokens: v.Usage.Tokens() + int64(d.rng.IntN(300))}, At: d.now}
	case 16:
		return swarm.Propose{
			ProposalID: proposal, Question: "?", Options: []string{"x", "y"}, Rule: []swarm.Rule{swarm.Majority, swarm.Unanimous, swarm.Weighted}[d.rng.IntN(3)],
			Deadline: d.now.Add(5 * time.Minute), At: d.now,
		}
	case 17, 18:
		return swarm.Vote{ProposalID: proposal, AgentID: member, Option: []string{"x", "y"}[d.rng.IntN(2)], At: d.now}
	}
	if d.rng.IntN(5) == 0 {
		return swarm.UpdateSettings{Topology: &[]swarm.Topology{swarm.Mesh, swarm.Ring, swarm.Star, swarm.Hierarchical}[d.rng.IntN(4)],
			Leader: &member, Weights: &swarm.Weights{Load: float64(d.rng.IntN(3)), Speed: 1}, MinSize: ptr(d.rng.IntN(3)), MaxSize: ptr(d.rng.IntN(12)), At: d.now}
	}
	return swarm.Tick{Now: d.now}
}

// step decides c on s and applies its events; rejections are fine.
func step(t *testing.T, s *swarm.State, c any) ([]proto.Message, error) {
	t.Helper()
	evs, err := decideOnly(t, s, c)
	if err == nil {
		apply(t, s, evs...)
	}
	return evs, err
}

// journaled is step, also recording the events in j.
func (j *journal) step(t *testing.T, s *swarm.State, c any) ([]proto.Message, error) {
	t.Helper()
	evs, err := step(t, s, c)
	*j = append(*j, evs...)
	return evs, err
}

// checkInvariants checks what must hold of any swarm.
func checkInvariants(t *testing.T, s *swarm.State) {
	t.Helper()
	v := view(s)
	load := map[string]int{}
	queued := 0
	for _, task := range v.Tasks {
		switch task.Status {
		case swarm.TaskStatusAssigned:
			load[task.AgentID]++
		case swarm.TaskStatusQueued:
			queued++
		}
	}
	for _, m := range v.Members {
		if m.Load != load[m.AgentID] || m.Load > m.MaxConcurrency {
			t.Fatalf("member %s has load %d, runs %d tasks, max %d", m.AgentID, m.Load, load[m.AgentID], m.MaxConcurrency)
		}
		delete(load, m.AgentID)
	}
	for agent, n := range load {
		if n > 0 {
			t.Fatalf("%d tasks assigned to %s, not a member", n, agent)
		}
	}
	if queued != v.QueueDepth {
		t.Fatalf("%d queued tasks, queue depth %d", queued, v.QueueDepth)
	}
	if kept, counted := swarm.FreeSlots(s); kept != counted {
		t.Fatalf("free slots kept %d, members have %d", kept, counted)
	}
}

// snapshotRoundTrip restores a swarm from s's snapshot, encoded and
// decoded, and hands it the events of j it recalls, as the runtime does.
func snapshotRoundTrip(t *testing.T, s *swarm.State, j journal) swarm.State {
	t.Helper()
	r := restored(t, s)
	j.recall(t, &r)
	return r
}

// restored restores a swarm from s's snapshot, encoded and decoded,
// without recalling anything.
func restored(t *testing.T, s *swarm.State) swarm.State {
	t.Helper()
	msg, err := s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	typ, payload, err := events.Encode(msg)
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := events.DecodePayload(typ, payload)
	if err != nil {
		t.Fatal(err)
	}
	var r swarm.State
	if err := r.Restore(decoded, s.Version()); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestSnapshotRestoresEqualViewAndDecisions(t *testing.T) {
	d := newDriver(7)
	j := journal{budgeted(3000)}
	s := given(t, j...)
	for i := range 3000 {
		j.step(t, &s, d.next(&s))
		if i%300 != 299 {
			continue
		}
		r := snapshotRoundTrip(t, &s, j)
		checkInvariants(t, &r)
		if !reflect.DeepEqual(s.View(), r.View()) {
			t.Fatalf("after %d commands, restored view\n%+v\nwant\n%+v", i+1, r.View(), s.View())
		}
		// Both decide alike from here on.
		for range 200 {
			c := d.next(&s)
			want, wantErr := j.step(t, &s, c)
			got, gotErr := step(t, &r, c)
			if (wantErr == nil) != (gotErr == nil) || !equalEvents(got, want) {
				t.Fatalf("after %d commands, restored state decided\n%s%v\nwant\n%s%v", i+1, dump(got), gotErr, dump(want), wantErr)
			}
		}
	}
}

func TestRandomCommandsKeepInvariants(t *testing.T) {
	for seed := range uint64(8) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			d := newDriver(seed)
			s := given(t, created([]swarm.Topology{swarm.Mesh, swarm.Ring, swarm.Star, swarm.Hierarchical}[seed%4]))
			kinds := map[string]int{}
			for range 1000 {
				evs, _ := step(t, &s, d.next(&s))
				for _, e := range evs {
					kinds[fmt.Sprintf("%T", e)]++
				}
				checkInvariants(t, &s)
			}
			t.Logf("events: %v", kinds)
			for _, k := range []string{"*hivev1.TaskAssigned", "*hivev1.TaskCompleted", "*hivev1.TaskAttemptFailed", "*hivev1.TaskRequeued", "*hivev1.ProposalDecided"} {
				if kinds[k] == 0 {
					t.Errorf("no %s in %v", k, kinds)
				}
			}
		})
	}
}

func TestRestoreRefusesOtherMessages(t *testing.T) {
	var s swarm.State
	if err := s.Restore(wrapperspb.Int64(1), 1); err == nil {
		t.Fatal("restored from a foreign message")
	}
}
