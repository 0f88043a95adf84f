package swarm_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/swarm"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

var benchCaps = []string{"code", "review", "test", "docs", "ops", "data", "design", "security"}

// bigSwarm is a mesh swarm of n members with one to three of 8
// capabilities and 4 slots each; every third member runs 2 tasks, and the
// first 200 have a record of completed and failed tasks.
func bigSwarm(b *testing.B, n int) (swarm.State, []*hivev1.TaskAssigned) {
	evs := []proto.Message{created(swarm.Mesh)}
	for i := range n {
		caps := benchCaps[i%8 : i%8+1]
		if i%3 == 1 {
			caps = []string{benchCaps[i%8], benchCaps[(i+3)%8]}
		} else if i%3 == 2 {
			caps = []string{benchCaps[i%8], benchCaps[(i+2)%8], benchCaps[(i+5)%8]}
		}
		evs = append(evs, &hivev1.SwarmMemberJoined{SwarmId: sid, AgentId: ag(i), Capabilities: caps, MaxConcurrency: 4, AtUnixNano: ns(t0)})
	}
	var running []*hivev1.TaskAssigned
	seq := uint64(0)
	for i := range n {
		for k := range 2 {
			seq++
			evs = append(evs, &hivev1.TaskQueued{SwarmId: sid, TaskId: tid(seq), Seq: seq, MaxAttempts: 1, AtUnixNano: ns(t0)})
			a := &hivev1.TaskAssigned{SwarmId: sid, TaskId: tid(seq), AgentId: ag(i), Attempt: 1, AtUnixNano: ns(t0)}
			evs = append(evs, a)
			switch {
			case i%3 == 0:
				running = append(running, a)
			case i < 200 && k == 0 && i%7 == 0:
				evs = append(evs, &hivev1.TaskFailed{SwarmId: sid, TaskId: tid(seq), AgentId: ag(i), Attempt: 1, Failure: &hivev1.TaskFailure{Cause: swarm.CauseFailed}})
			case i < 200:
				evs = append(evs, &hivev1.TaskCompleted{SwarmId: sid, TaskId: tid(seq), AgentId: ag(i), Attempt: 1, DurationNanos: int64(time.Duration(1+i%5) * time.Minute)})
			default:
				evs = append(evs, &hivev1.TaskCancelled{SwarmId: sid, TaskId: tid(seq), AgentId: ag(i), Attempt: 1})
			}
		}
	}
	return given(b, evs...), running
}

// BenchmarkAssign1000Members measures the assignment decision in a swarm
// of 1,000 members: each iteration submits a task (decided and applied:
// the task is queued and assigned after scoring every member), and
// completes the oldest task in flight, so that the load stays steady.
func BenchmarkAssign1000Members(b *testing.B) {
	s, running := bigSwarm(b, 1000)
	env := &events.Envelope{Version: s.Version()}
	applyAll := func(evs []proto.Message) {
		for _, e := range evs {
			env.Version++
			if err := s.Apply(env, e); err != nil {
				b.Fatal(err)
			}
		}
	}
	assignments := 0
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		now = now.Add(time.Millisecond)
		evs, err := s.Decide(swarm.SubmitTask{Capability: benchCaps[i%8], Priority: i % 10, Timeout: time.Minute, At: now})
		if err != nil {
			b.Fatal(err)
		}
		applyAll(evs)
		for _, e := range evs {
			if a, ok := e.(*hivev1.TaskAssigned); ok {
				assignments++
				running = append(running, a)
			}
		}
		done := running[0]
		running = running[1:]
		evs, err = s.Decide(swarm.CompleteTask{TaskID: done.GetTaskId(), AgentID: done.GetAgentId(), At: now})
		if err != nil {
			b.Fatal(err)
		}
		applyAll(evs)
	}
	if assignments == 0 {
		b.Fatal("nothing assigned")
	}
	b.ReportMetric(float64(assignments)/b.Elapsed().Seconds(), "assignments/s")
}

func BenchmarkScore(b *testing.B) {
	m := swarm.MemberView{AgentID: "a", Capabilities: []string{"code", "docs"}, Load: 1, MaxConcurrency: 4, Completed: 10, Failed: 1, MeanDuration: time.Minute}
	var sink float64
	for b.Loop() {
		sink += swarm.Score(swarm.Weights{}, m, swarm.TaskView{Capability: "docs"}, 2*time.Minute).Score
	}
	_ = fmt.Sprint(sink)
}

// workedSwarm is a swarm of 16 members that has run history workflow
// steps to completion, with 32 tasks in flight: the shape of a swarm
// after a long day of Seq10 runs. It returns the swarm and its events.
func workedSwarm(b *testing.B, history int) (swarm.State, journal) {
	j := journal{created(swarm.Mesh)}
	for i := range 16 {
		j = append(j, &hivev1.SwarmMemberJoined{SwarmId: sid, AgentId: ag(i), Capabilities: []string{"code"}, MaxConcurrency: 4, AtUnixNano: ns(t0)})
	}
	s := given(b, j...)
	for seq := uint64(1); seq <= uint64(history+32); seq++ {
		run := fmt.Sprintf("0193a0c4-0000-7000-8000-%012d", seq/10)
		key := fmt.Sprintf("%s/s%d/1", run, seq%10)
		agent := ag(int(seq % 16))
		at := ns(t0.Add(time.Duration(seq) * time.Millisecond))
		j.apply(b, &s,
			&hivev1.TaskQueued{SwarmId: sid, TaskId: tid(seq), Seq: seq, Key: key, RunId: run, StepId: fmt.Sprint("s", seq%10), Capability: "code", Input: []byte(`{"n":1}`), MaxAttempts: 1, AtUnixNano: at},
			&hivev1.TaskAssigned{SwarmId: sid, TaskId: tid(seq), AgentId: agent, RunId: run, Key: key, Attempt: 1, AtUnixNano: at})
		if seq <= uint64(history) {
			j.apply(b, &s, &hivev1.TaskCompleted{SwarmId: sid, TaskId: tid(seq), AgentId: agent, RunId: run, Key: key, Attempt: 1, Output: []byte(`{}`), DurationNanos: 1e6, AtUnixNano: at})
		}
	}
	return s, j
}

var histories = []int{1_000, 10_000, 100_000, 300_000}

// BenchmarkSnapshot measures what the runtime does every SnapshotEvery
// events of a busy swarm: take its snapshot and encode it, after a history
// of 1,000 to 300,000 completed tasks. The cost and size do not grow
// with the history: a snapshot holds the swarm's live state, and leaves
// the memory of recently finished tasks to be recalled.
func BenchmarkSnapshot(b *testing.B) {
	for _, history := range histories {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			s, _ := workedSwarm(b, history)
			var size int
			b.ReportAllocs()
			for b.Loop() {
				msg, err := s.Snapshot()
				if err != nil {
					b.Fatal(err)
				}
				_, payload, err := events.Encode(msg)
				if err != nil {
					b.Fatal(err)
				}
				size = len(payload)
			}
			b.ReportMetric(float64(size), "bytes")
		})
	}
}

// BenchmarkRestore measures a busy swarm's recovery from its snapshot, in
// the decision code alone (no store): decode and restore the snapshot, and
// recall the events that rebuild its memory of recently finished tasks,
// which at most RecallWindow events hold, however long the history.
func BenchmarkRestore(b *testing.B) {
	for _, history := range histories {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			s, j := workedSwarm(b, history)
			msg, err := s.Snapshot()
			if err != nil {
				b.Fatal(err)
			}
			typ, payload, err := events.Encode(msg)
			if err != nil {
				b.Fatal(err)
			}
			envs := make([]*events.Envelope, len(j))
			for i, m := range j {
				envs[i] = envelopeAt(uint64(i+1), m)
			}
			recalled := 0
			for b.Loop() {
				decoded, err := events.DecodePayload(typ, payload)
				if err != nil {
					b.Fatal(err)
				}
				var r swarm.State
				if err := r.Restore(decoded, s.Version()); err != nil {
					b.Fatal(err)
				}
				from := r.RecallFrom()
				for v := from; v != 0 && v <= r.Version(); v++ {
					if err := r.Recall(envs[v-1], j[v-1]); err != nil {
						b.Fatal(err)
					}
				}
				recalled = int(s.Version() - from + 1)
			}
			b.ReportMetric(float64(recalled), "events-recalled")
		})
	}
}
