package projections_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/events"
	"hive/projections"
	hivev1 "hive/proto/hive/v1"
)

// step is one event of a table test: its message, when it was recorded
// (after t0), and who caused it.
type step struct {
	msg       proto.Message
	after     time.Duration
	principal string
	causation string
}

// history turns steps into a log at positions 1, 2, …
func history(t testing.TB, steps ...step) []*events.Envelope {
	t.Helper()
	out := make([]*events.Envelope, 0, len(steps))
	for i, s := range steps {
		e, err := events.NewEvent(s.msg, events.Metadata{Principal: s.principal, CausationID: s.causation, CorrelationID: s.causation})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &events.Envelope{ID: e.ID, Stream: "s", Version: uint64(i + 1), Position: uint64(i + 1), Type: e.Type,
			SchemaVersion: e.SchemaVersion, Payload: e.Payload, RecordedAt: t0.Add(s.after), Metadata: e.Metadata})
	}
	return out
}

func msgs(ms ...proto.Message) []step {
	out := make([]step, 0, len(ms))
	for _, m := range ms {
		out = append(out, step{msg: m})
	}
	return out
}

func TestQueueCountsTasksByPhase(t *testing.T) {
	queued := func(swarm, task, capability string) proto.Message {
		return &hivev1.TaskQueued{SwarmId: swarm, TaskId: task, Capability: capability}
	}
	tests := []struct {
		name   string
		events []step
		want   string // totals, then swarm:p/a/r, then capability:p/a/r
	}{
		{"nothing", nil, "0/0/0 |  | "},
		{"queued", msgs(queued("s", "s.1", "code"), queued("t", "t.1", "")), "2/0/0 | s:1/0/0 t:1/0/0 | :1/0/0 code:1/0/0"},
		{"assigned then started", msgs(queued("s", "s.1", "code"), queued("s", "s.2", "code"),
			&hivev1.TaskAssigned{SwarmId: "s", TaskId: "s.1", AgentId: "a"}, &hivev1.TaskAssigned{SwarmId: "s", TaskId: "s.2", AgentId: "b"},
			&hivev1.AgentTaskStarted{AgentId: "a", TaskId: "s.1"}), "0/1/1 | s:0/1/1 | code:0/1/1"},
		{"a start by another agent is not the task's", msgs(queued("s", "s.1", ""), &hivev1.TaskAssigned{SwarmId: "s", TaskId: "s.1", AgentId: "a"},
			&hivev1.AgentTaskStarted{AgentId: "b", TaskId: "s.1"}), "0/1/0 | s:0/1/0 | :0/1/0"},
		{"failed attempt back to pending", msgs(queued("s", "s.1", ""), &hivev1.TaskAssigned{SwarmId: "s", TaskId: "s.1", AgentId: "a"},
			&hivev1.AgentTaskStarted{AgentId: "a", TaskId: "s.1"}, &hivev1.TaskAttemptFailed{SwarmId: "s", TaskId: "s.1", AgentId: "a"}),
			"1/0/0 | s:1/0/0 | :1/0/0"},
		{"finished tasks leave", msgs(queued("s", "s.1", ""), queued("s", "s.2", ""), queued("s", "s.3", "x"),
			&hivev1.TaskAssigned{SwarmId: "s", TaskId: "s.1", AgentId: "a"}, &hivev1.TaskCompleted{SwarmId: "s", TaskId: "s.1", AgentId: "a"},
			&hivev1.TaskFailed{SwarmId: "s", TaskId: "s.2"}, &hivev1.TaskCancelled{SwarmId: "s", TaskId: "s.3"}), "0/0/0 |  | "},
		{"events of unknown tasks change nothing", msgs(&hivev1.TaskAssigned{SwarmId: "s", TaskId: "s.9", AgentId: "a"},
			&hivev1.TaskCompleted{SwarmId: "s", TaskId: "s.9"}), "0/0/0 |  | "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := projections.NewQueue()
			applyAll(t, q, history(t, tc.events...))
			if got := queueString(q.View()); got != tc.want {
				t.Fatalf("queue = %q, want %q", got, tc.want)
			}
		})
	}
}

func queueString(v projections.QueueView) string {
	c := func(n projections.TaskCounts) string {
		return strings.Join([]string{strconv.Itoa(n.Pending), strconv.Itoa(n.Assigned), strconv.Itoa(n.Running)}, "/")
	}
	var swarms, caps []string
	for _, s := range v.BySwarm {
		swarms = append(swarms, s.SwarmID+":"+c(s.TaskCounts))
	}
	for _, s := range v.ByCapability {
		caps = append(caps, s.Capability+":"+c(s.TaskCounts))
	}
	return c(v.Totals) + " | " + strings.Join(swarms, " ") + " | " + strings.Join(caps, " ")
}

func TestThroughputBucketsByRecordedMinute(t *testing.T) {
	th := projections.NewThroughput()
	log := history(t,
		step{msg: &hivev1.TaskQueued{}, after: 0, causation: "c1"},
		step{msg: &hivev1.TaskAssigned{}, after: 10 * time.Second, causation: "c1"},
		step{msg: &hivev1.TaskCompleted{}, after: 20 * time.Second, causation: "c2"},
		step{msg: &hivev1.TaskFailed{}, after: 2*time.Minute + time.Second, causation: "c2"},
		step{msg: &hivev1.TaskQueued{}, after: 2*time.Minute + 5*time.Second, causation: "c3"},
		step{msg: &hivev1.TaskQueued{}, after: 30 * time.Second, causation: "c3"}, // recorded late, counted in its minute
		step{msg: &hivev1.TaskQueued{}, after: time.Hour + 2*time.Minute, causation: "c9"},
	)
	applyAll(t, th, log[:6])
	v := th.View()
	if len(v.Minutes) != 60 || !v.Minutes[59].Minute.Equal(t0.Add(2*time.Minute)) || v.Position != 6 {
		t.Fatalf("%d minutes ending %v at %d, want 60 ending at t0+2m at 6", len(v.Minutes), v.Minutes[len(v.Minutes)-1].Minute, v.Position)
	}
	want := []projections.ThroughputMinute{
		{Minute: t0, Events: 4, Commands: 2, TasksCompleted: 1},
		{Minute: t0.Add(time.Minute)},
		{Minute: t0.Add(2 * time.Minute), Events: 2, Commands: 1, TasksFailed: 1},
	}
	if got := v.Minutes[57:]; asJSON(t, got) != asJSON(t, want) {
		t.Fatalf("last minutes = %+v, want %+v", got, want)
	}
	// an hour later the old minutes are out of the window
	applyAll(t, th, log[6:])
	for _, m := range th.View().Minutes[:59] {
		if m.Events != 0 {
			t.Fatalf("minute %v still counts %d events an hour later", m.Minute, m.Events)
		}
	}
}

func TestPrincipalsCountCommandsAndEvents(t *testing.T) {
	p := projections.NewPrincipals()
	applyAll(t, p, history(t,
		step{msg: &hivev1.AgentRegistered{}, principal: "alice", causation: "c1"},
		step{msg: &hivev1.AgentJoinedSwarm{}, principal: "alice", causation: "c1"},
		step{msg: &hivev1.SwarmMemberJoined{}, principal: "alice", causation: "e2"},
		step{msg: &hivev1.RunStarted{}, after: time.Minute, principal: "bob", causation: "c3"},
		step{msg: &hivev1.AgentRegistered{}, after: 2 * time.Minute, principal: "alice", causation: "c4"},
		step{msg: &hivev1.AgentLost{}, after: 3 * time.Minute, causation: "tick"},
	))
	got := p.All()
	want := []projections.PrincipalActivity{
		{Principal: "alice", Commands: 3, Events: 4, LastSeen: t0.Add(2 * time.Minute), Position: 5,
			ByType: map[string]int{"hive.v1.AgentRegistered": 2, "hive.v1.AgentJoinedSwarm": 1, "hive.v1.SwarmMemberJoined": 1}},
		{Principal: "bob", Commands: 1, Events: 1, LastSeen: t0.Add(time.Minute), Position: 4, ByType: map[string]int{"hive.v1.RunStarted": 1}},
		{Principal: "system", Commands: 1, Events: 1, LastSeen: t0.Add(3 * time.Minute), Position: 6, ByType: map[string]int{"hive.v1.AgentLost": 1}},
	}
	if asJSON(t, got) != asJSON(t, want) {
		t.Fatalf("principals = %s\nwant %s", asJSON(t, got), asJSON(t, want))
	}
}

func TestAgentsBoardFields(t *testing.T) {
	rate := func(f float64) *float64 { return &f }
	tests := []struct {
		name      string
		events    []step
		load      float64
		rate      *float64
		heartbeat time.Duration
	}{
		{"registered", []step{{msg: &hivev1.AgentRegistered{AgentId: "x", MaxConcurrency: 4}}}, 0, nil, 0},
		{"a heartbeat", []step{{msg: &hivev1.AgentRegistered{AgentId: "x", MaxConcurrency: 4}},
			{msg: &hivev1.AgentHeartbeatExtended{AgentId: "x"}, after: time.Minute}}, 0, nil, time.Minute},
		{"busy", []step{{msg: &hivev1.AgentRegistered{AgentId: "x", MaxConcurrency: 4}},
			{msg: &hivev1.AgentTaskStarted{AgentId: "x", TaskId: "t"}, after: time.Minute}}, 0.25, nil, 0},
		{"results", []step{{msg: &hivev1.AgentRegistered{AgentId: "x", MaxConcurrency: 1}},
			{msg: &hivev1.AgentTaskStarted{AgentId: "x", TaskId: "t1"}}, {msg: &hivev1.AgentTaskFinished{AgentId: "x", TaskId: "t1", Outcome: "completed"}, after: time.Minute},
			{msg: &hivev1.AgentTaskStarted{AgentId: "x", TaskId: "t2"}}, {msg: &hivev1.AgentTaskFinished{AgentId: "x", TaskId: "t2", Outcome: "completed"}, after: 2 * time.Minute},
			{msg: &hivev1.AgentTaskStarted{AgentId: "x", TaskId: "t3"}}, {msg: &hivev1.AgentTaskFinished{AgentId: "x", TaskId: "t3", Outcome: "failed"}, after: 3 * time.Minute},
			{msg: &hivev1.AgentTaskStarted{AgentId: "x", TaskId: "t4"}}, {msg: &hivev1.AgentTaskFinished{AgentId: "x", TaskId: "t4", Outcome: "timed_out"}, after: 4 * time.Minute},
		}, 0, rate(0.5), 3 * time.Minute},
		{"released tasks do not count", []step{{msg: &hivev1.AgentRegistered{AgentId: "x", MaxConcurrency: 1}},
			{msg: &hivev1.AgentTaskStarted{AgentId: "x", TaskId: "t1"}}, {msg: &hivev1.AgentTaskFinished{AgentId: "x", TaskId: "t1", Outcome: "released"}, after: time.Minute},
		}, 0, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a := projections.NewAgents()
			log := history(t, tc.events...)
			applyAll(t, a, log)
			ag, _ := a.Get("x")
			if ag.Load != tc.load || asJSON(t, ag.SuccessRate) != asJSON(t, tc.rate) || !ag.LastHeartbeat.Equal(t0.Add(tc.heartbeat)) ||
				ag.Position != uint64(len(log)) {
				t.Fatalf("agent = load %v rate %s heartbeat %v position %d", ag.Load, asJSON(t, ag.SuccessRate), ag.LastHeartbeat, ag.Position)
			}
		})
	}
}

func TestSwarmsShowMembersRolesQueueAndProposals(t *testing.T) {
	w := fleet(t)
	cancelled := slices.IndexFunc(w.log, func(e *events.Envelope) bool { return e.Type == "hive.v1.RunCancelled" })
	s := projections.NewSwarms()
	applyAll(t, s, w.log[:cancelled])
	before, _ := s.Get(crew)
	if before.QueueDepth != 1 || before.Running != 0 {
		t.Fatalf("before the cancel: queue %d running %d, want the docs task queued", before.QueueDepth, before.Running)
	}
	applyAll(t, s, w.log[cancelled:])
	row, ok := s.Get(crew)
	if !ok {
		t.Fatal("crew missing")
	}
	var members []string
	for _, m := range row.Members {
		members = append(members, m.Name+"/"+m.Status+"/"+m.Role)
	}
	if want := []string{"coder-1/active/hub", "coder-2/active/spoke", "planner/draining/spoke"}; !slices.Equal(members, want) {
		t.Fatalf("members = %v, want %v", members, want)
	}
	if row.QueueDepth != 0 || row.Running != 0 || row.Topology != "star" || row.Name != "crew" || row.LeaderID != coder1 {
		t.Fatalf("row = %+v", row)
	}
	if len(row.OpenProposals) != 1 || row.OpenProposals[0].Question != "Ship on Friday?" ||
		asJSON(t, row.OpenProposals[0].Votes) != asJSON(t, []projections.SwarmVote{{AgentID: coder1, Choice: "yes", Weight: 1}}) {
		t.Fatalf("open proposals = %+v", row.OpenProposals)
	}
	if row.Position == 0 || row.Position > uint64(len(w.log)) {
		t.Fatalf("position = %d", row.Position)
	}
}

func TestFeedTellsDecisionsNewestFirst(t *testing.T) {
	w := fleet(t)
	f := projections.NewFeed()
	applyAll(t, f, w.log)
	items := f.Items(1000)
	if len(items) == 0 || items[0].Type != "agent_draining" || items[0].Reason != "upgrade" || items[0].Principal != "alice" {
		t.Fatalf("newest = %+v", items[0])
	}
	kinds := map[string]projections.FeedItem{}
	for i, it := range items {
		if i > 0 && it.Position >= items[i-1].Position {
			t.Fatalf("items not newest first at %d", i)
		}
		kinds[it.Type] = it
	}
	for _, want := range []string{"task_assigned", "task_attempt_failed", "step_approved", "run_completed", "run_cancelled", "swarm_leader_changed"} {
		if _, ok := kinds[want]; !ok {
			t.Errorf("feed lacks %s", want)
		}
	}
	if a := kinds["task_assigned"]; !strings.Contains(a.Reason, "scores: ") || a.Kind != "swarm" || a.EntityID != crew || a.CorrelationID == "" {
		t.Errorf("assignment = %+v, want its strategy and scores", a)
	}
	if got := f.Items(2); len(got) != 2 || got[0] != items[0] || got[1] != items[1] {
		t.Fatalf("Items(2) = %+v", got)
	}
}

func TestFeedKeepsTheNewest1000(t *testing.T) {
	f := projections.NewFeed()
	var steps []step
	for range 1005 {
		steps = append(steps, step{msg: &hivev1.AgentLost{AgentId: "x", Reason: "silent"}})
	}
	applyAll(t, f, history(t, steps...))
	items := f.Items(5000)
	if len(items) != 1000 || items[0].Position != 1005 || items[999].Position != 6 {
		t.Fatalf("%d items from %d to %d, want 1000 from 1005 to 6", len(items), items[0].Position, items[len(items)-1].Position)
	}
}
