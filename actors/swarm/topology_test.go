package swarm_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

// history gives member n a record of k tasks completed in d each, as tasks
// first..first+k-1.
func history(n int, first uint64, k int, d time.Duration) []proto.Message {
	var evs []proto.Message
	for seq := first; seq < first+uint64(k); seq++ {
		evs = append(evs, queued(seq, "code"), assignedTo(seq, n, 1, t0), completed(seq, n, d))
	}
	return evs
}

// veteranSwarm has members 1, 2 and 3 that can each run 3 "code" tasks;
// member 1 leads (star and hierarchical) and member 3 completed 9 tasks.
func veteranSwarm(t *testing.T, topology swarm.Topology) swarm.State {
	c := created(topology)
	if topology == swarm.Star || topology == swarm.Hierarchical {
		c.LeaderId = ag(1)
	}
	evs := []proto.Message{c, joined(1, 3, "code"), joined(2, 3, "code"), joined(3, 3, "code")}
	return given(t, append(evs, history(3, 1, 9, time.Minute)...)...)
}

// assignees submits tasks and returns who got each, "" for none.
func assignees(t *testing.T, s *swarm.State, tasks ...swarm.SubmitTask) []string {
	t.Helper()
	var got []string
	for _, c := range tasks {
		c.Capability, c.At = "code", at(time.Hour)
		evs := decide(t, s, c)
		who := ""
		for _, e := range evs {
			if a, ok := e.(*hivev1.TaskAssigned); ok {
				who = a.GetAgentId()
			}
		}
		got = append(got, who)
	}
	return got
}

func names(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		if n > 0 {
			out[i] = ag(n)
		}
	}
	return out
}

func TestTopologiesAssignDifferently(t *testing.T) {
	three := []swarm.SubmitTask{{}, {}, {}}
	tests := []struct {
		topology swarm.Topology
		tasks    []swarm.SubmitTask
		want     []string
		reason   string
	}{
		// The veteran scores best until its load outweighs its record.
		{swarm.Mesh, three, names(3, 3, 1), "mesh: highest score of 3 eligible members"},
		// Turns in join order after the member that got the last task (3).
		{swarm.Ring, three, names(1, 2, 3), "ring: next eligible member in join order after " + ag(2)},
		// The hub takes all it can.
		{swarm.Star, three, names(1, 1, 1), "star: the hub is not eligible; highest score of 2 eligible spokes"},
		// The coordinator takes planning only; workers by score.
		{swarm.Hierarchical, []swarm.SubmitTask{{}, {Planner: true}, {}, {}}, names(3, 1, 3, 2), "hierarchical: highest score of 2 eligible workers"},
	}
	for _, tt := range tests {
		t.Run(string(tt.topology), func(t *testing.T) {
			s := veteranSwarm(t, tt.topology)
			if got := assignees(t, &s, tt.tasks...); !slices.Equal(got, tt.want) {
				t.Fatalf("assigned to %v, want %v", got, tt.want)
			}
			last := lastAssigned(t, &s, swarm.SubmitTask{Capability: "code", At: at(time.Hour)})
			if last != nil && tt.topology != swarm.Ring && last.GetReason() != tt.reason {
				t.Errorf("reason = %q, want %q", last.GetReason(), tt.reason)
			}
		})
	}
}

// lastAssigned decides c and returns its last TaskAssigned, or nil.
func lastAssigned(t *testing.T, s *swarm.State, c any) *hivev1.TaskAssigned {
	t.Helper()
	var last *hivev1.TaskAssigned
	for _, e := range decide(t, s, c) {
		if a, ok := e.(*hivev1.TaskAssigned); ok {
			last = a
		}
	}
	return last
}

func TestRingReason(t *testing.T) {
	s := veteranSwarm(t, swarm.Ring)
	a := lastAssigned(t, &s, swarm.SubmitTask{Capability: "code", At: t0})
	if want := "ring: next eligible member in join order after " + ag(3); a.GetReason() != want || a.GetAgentId() != ag(1) {
		t.Fatalf("assigned to %s because %q", a.GetAgentId(), a.GetReason())
	}
}

func TestRingSkipsIneligibleMembers(t *testing.T) {
	s := given(t, created(swarm.Ring), joined(1, 1, "code"), joined(2, 1, "docs"), joined(3, 1, "code"))
	if got := assignees(t, &s, swarm.SubmitTask{}, swarm.SubmitTask{}); !slices.Equal(got, names(1, 3)) {
		t.Fatalf("assigned to %v", got)
	}
}

func TestStarSpokesTakeWhatTheHubCannot(t *testing.T) {
	c := created(swarm.Star)
	c.LeaderId = ag(1)
	evs := []proto.Message{c, joined(1, 1, "code"), joined(2, 3, "code"), joined(3, 3, "code")}
	s := given(t, append(evs, history(3, 1, 9, time.Minute)...)...)
	got := assignees(t, &s, swarm.SubmitTask{}, swarm.SubmitTask{})
	if !slices.Equal(got, names(1, 3)) {
		t.Fatalf("assigned to %v, want hub then best spoke", got)
	}
	a := lastAssigned(t, &s, swarm.SubmitTask{Capability: "code", At: t0})
	if !strings.HasPrefix(a.GetReason(), "star: the hub is not eligible") || a.GetIneligibleFull() != 1 {
		t.Errorf("reason %q, %d full", a.GetReason(), a.GetIneligibleFull())
	}
}

func TestHierarchicalPlanningWaitsForTheCoordinator(t *testing.T) {
	c := created(swarm.Hierarchical)
	c.LeaderId = ag(1)
	s := given(t, c, joined(1, 1, "code"), joined(2, 2, "code"), queued(1, "code"), assignedTo(1, 1, 1, t0))
	got := assignees(t, &s, swarm.SubmitTask{Planner: true})
	if got[0] != "" {
		t.Fatalf("planning task assigned to %s while the coordinator is busy", got[0])
	}
	evs := decide(t, &s, swarm.CompleteTask{TaskID: tid(1), AgentID: ag(1), At: at(time.Minute)})
	if a, ok := evs[len(evs)-1].(*hivev1.TaskAssigned); !ok || a.GetAgentId() != ag(1) || a.GetIneligibleRole() != 1 {
		t.Fatalf("after the coordinator is free: %v", evs)
	}
}

func TestTaskAssignedExplainsItself(t *testing.T) {
	s := given(t, created(swarm.Mesh), joined(1, 2, "code"), joined(2, 1, "code", "docs"), joined(3, 1, "docs"),
		joined(4, 1, "code"), &hivev1.SwarmMemberDraining{SwarmId: sid, AgentId: ag(4)})
	a := lastAssigned(t, &s, swarm.SubmitTask{Capability: "code", At: t0})
	want := &hivev1.TaskAssigned{
		SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1, Topology: "mesh",
		Reason: "mesh: highest score of 2 eligible members", Weights: &hivev1.SwarmWeights{Capability: 1, Load: 1, Success: 1, Speed: 1},
		Candidates: []*hivev1.TaskAssigned_Candidate{
			{AgentId: ag(1), Score: 0.75, Capability: 1, Load: 1, Success: 0.5, Speed: 0.5},
			{AgentId: ag(2), Score: 0.625, Capability: 0.5, Load: 1, Success: 0.5, Speed: 0.5},
		},
		IneligibleIncapable: 1, IneligibleUnavailable: 1, AtUnixNano: ns(t0),
	}
	if !proto.Equal(a, want) {
		t.Fatalf("assigned\n%v\nwant\n%v", a, want)
	}
}

func TestTaskAssignedRecordsTheBestCandidatesOnly(t *testing.T) {
	evs := []proto.Message{created(swarm.Ring)}
	for n := 1; n <= 40; n++ {
		if n == 11 {
			evs = append(evs, joined(n, 1, "code", "docs", "test", "ops"))
			continue
		}
		evs = append(evs, joined(n, 1))
	}
	s := given(t, evs...)
	for range 10 { // members 1 to 10 take a task each
		decide(t, &s, swarm.SubmitTask{At: t0})
	}
	// Ring picks member 11, whose capability fit is the worst of the 30
	// eligible: it is recorded after the 16 best.
	a := lastAssigned(t, &s, swarm.SubmitTask{At: t0})
	cs := a.GetCandidates()
	if a.GetAgentId() != ag(11) || len(cs) != swarm.MaxRecordedCandidates+1 || a.GetCandidatesOmitted() != 30-17 {
		t.Fatalf("assigned to %s with %d candidates, %d omitted", a.GetAgentId(), len(cs), a.GetCandidatesOmitted())
	}
	if cs[0].GetAgentId() != ag(12) || cs[15].GetAgentId() != ag(27) || cs[16].GetAgentId() != ag(11) || cs[16].GetCapability() != 0.25 {
		t.Errorf("candidates %v", cs)
	}
	if a.GetIneligibleFull() != 10 {
		t.Errorf("%d full", a.GetIneligibleFull())
	}
}
