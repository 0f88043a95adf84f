package swarm_test

import (
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	"hive/actors/swarm"
	hivev1 "hive/proto/hive/v1"
)

func keyed(q *hivev1.TaskQueued, key, run, step string) *hivev1.TaskQueued {
	q.Key, q.RunId, q.StepId = key, run, step
	return q
}

func withRun(a *hivev1.TaskAssigned, run string) *hivev1.TaskAssigned {
	a.RunId = run
	return a
}

func TestSubmitTask(t *testing.T) {
	full := &hivev1.TaskQueued{
		SwarmId: sid, TaskId: tid(1), Seq: 1, Key: "run-1/build/1", RunId: "run-1", StepId: "build", Capability: "code",
		Input: []byte(`{"repo":"hive"}`), Priority: 7, MaxAttempts: 3, BackoffNanos: int64(time.Second),
		TimeoutNanos: int64(time.Minute), Planner: true, AtUnixNano: ns(t0),
	}
	runCases(t, []decisionCase{
		{
			name:  "queue a task",
			given: []proto.Message{created(swarm.Mesh)},
			when: swarm.SubmitTask{
				Key: "run-1/build/1", RunID: "run-1", StepID: "build", Capability: "code", Input: []byte(`{"repo":"hive"}`),
				Priority: 7, MaxAttempts: 3, Backoff: time.Second, Timeout: time.Minute, Planner: true, At: t0,
			},
			then: []proto.Message{full},
		},
		{
			name:  "sequence numbers follow the last task",
			given: []proto.Message{created(swarm.Mesh), queued(1, ""), queued(2, "")},
			when:  swarm.SubmitTask{At: t0},
			then:  []proto.Message{queued(3, "")},
		},
		{
			name:  "a known key is not queued again",
			given: []proto.Message{created(swarm.Mesh), keyed(queued(1, ""), "k", "", "")},
			when:  swarm.SubmitTask{Key: "k", Priority: 3, At: t0},
		},
		{
			name: "the key of a finished task is known",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), keyed(queued(1, ""), "k", "", ""), assignedTo(1, 1, 1, t0),
				&hivev1.TaskCompleted{SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Key: "k", Attempt: 1}},
			when: swarm.SubmitTask{Key: "k", At: t0},
		},
		{
			name:  "assigned at once to a free member, with a deadline",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1)},
			when:  swarm.SubmitTask{Timeout: time.Minute, At: t0},
			then: []proto.Message{
				&hivev1.TaskQueued{SwarmId: sid, TaskId: tid(1), Seq: 1, MaxAttempts: 1, TimeoutNanos: int64(time.Minute), AtUnixNano: ns(t0)},
				&hivev1.TaskAssigned{SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1, DeadlineUnixNano: ns(at(time.Minute)), AtUnixNano: ns(t0)},
			},
		},
		{
			name:  "no member has the capability",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1, "code")},
			when:  swarm.SubmitTask{Capability: "review", At: t0},
			then:  []proto.Message{queued(1, "review")},
		},
		{
			name:  "every member is busy",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), queued(1, ""), assignedTo(1, 1, 1, t0)},
			when:  swarm.SubmitTask{At: t0},
			then:  []proto.Message{queued(2, "")},
		},
		{
			name:  "a task of a paused run waits",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), &hivev1.SwarmRunPaused{SwarmId: sid, RunId: "r"}},
			when:  swarm.SubmitTask{RunID: "r", At: t0},
			then:  []proto.Message{keyed(queued(1, ""), "", "r", "")},
		},
		{
			name:  "bad fields",
			given: []proto.Message{created(swarm.Mesh)},
			when: swarm.SubmitTask{
				Key: "a\nb", RunID: strings.Repeat("r", 513), StepID: "\x00", Capability: "no spaces", Input: []byte(`{"a":`),
				Priority: 10, MaxAttempts: 101, Backoff: -1, Timeout: 8 * 24 * time.Hour,
			},
			wantErr: decision.ErrInvalid,
			fields:  []string{"key", "run_id", "step_id", "capability", "input", "priority", "max_attempts", "backoff", "timeout", "at"},
		},
		{
			name:    "input too large",
			given:   []proto.Message{created(swarm.Mesh)},
			when:    swarm.SubmitTask{Input: []byte(`"` + strings.Repeat("x", 256<<10) + `"`), At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"input"},
		},
		{
			name:    "negative priority and attempts",
			given:   []proto.Message{created(swarm.Mesh)},
			when:    swarm.SubmitTask{Priority: -1, MaxAttempts: -1, Backoff: 11 * time.Minute, At: t0},
			wantErr: decision.ErrInvalid, fields: []string{"priority", "max_attempts", "backoff"},
		},
	})
}

// running is a swarm with members 1 and 2 where member 1 runs task 1 of
// run "r" (key "k", step "s", 2 attempts) since t0.
func running() []proto.Message {
	return []proto.Message{
		created(swarm.Mesh), joined(1, 1), joined(2, 1),
		retrying(keyed(queued(1, ""), "k", "r", "s"), 2, time.Second), assignedTo(1, 1, 1, t0),
	}
}

func completed(seq uint64, n int, d time.Duration) *hivev1.TaskCompleted {
	return &hivev1.TaskCompleted{SwarmId: sid, TaskId: tid(seq), AgentId: ag(n), Attempt: 1, DurationNanos: int64(d), AtUnixNano: ns(at(d))}
}

func TestCompleteTask(t *testing.T) {
	done := &hivev1.TaskCompleted{
		SwarmId: sid, TaskId: tid(1), AgentId: ag(1), RunId: "r", StepId: "s", Key: "k", Attempt: 1,
		Output: []byte(`{"ok":true}`), AddSteps: []byte(`[{"id":"next"}]`),
		Usage:         &hivev1.Usage{Model: "m", InputTokens: 10, OutputTokens: 5, CostMicros: 7},
		DurationNanos: int64(90 * time.Second), AtUnixNano: ns(at(90 * time.Second)),
	}
	cancelled := &hivev1.TaskCancelled{SwarmId: sid, TaskId: tid(1), AgentId: ag(1), RunId: "r", StepId: "s", Key: "k", Attempt: 1}
	failed := &hivev1.TaskFailed{SwarmId: sid, TaskId: tid(1), AgentId: ag(1), RunId: "r", StepId: "s", Key: "k", Attempt: 1, Failure: &hivev1.TaskFailure{Cause: swarm.CauseFailed}}
	complete := func(n int) swarm.CompleteTask {
		return swarm.CompleteTask{
			TaskID: tid(1), AgentID: ag(n), Output: []byte(`{"ok":true}`), AddSteps: []byte(`[{"id":"next"}]`),
			Usage: ledger.Usage{Model: "m", InputTokens: 10, OutputTokens: 5, CostMicros: 7}, At: at(90 * time.Second),
		}
	}
	runCases(t, []decisionCase{
		{name: "complete", given: running(), when: complete(1), then: []proto.Message{done}},
		{
			name:  "the freed member takes the next task",
			given: append(running(), queued(2, ""), assignedTo(2, 2, 1, t0), queued(3, "")),
			when:  complete(1),
			then:  []proto.Message{done, assignedTo(3, 1, 1, at(90*time.Second))},
		},
		{name: "completed again by its agent", given: append(running(), done), when: complete(1)},
		{name: "completed again by another agent", given: append(running(), done), when: complete(2), wantErr: swarm.ErrTaskFinished},
		{name: "assigned to another agent", given: running(), when: complete(2), wantErr: swarm.ErrNotAssigned, msg: "assigned to agent " + ag(1)},
		{name: "not assigned", given: []proto.Message{created(swarm.Mesh), queued(1, "")}, when: complete(1), wantErr: swarm.ErrNotAssigned, msg: "is queued"},
		{
			name:    "cancelled",
			given:   append(running(), cancelled),
			when:    complete(1),
			wantErr: swarm.ErrTaskCancelled, msg: "task was cancelled; its result is ignored",
		},
		{name: "failed", given: append(running(), failed), when: complete(1), wantErr: swarm.ErrTaskFinished, msg: "failed"},
		{name: "unknown task", given: running(), when: swarm.CompleteTask{TaskID: tid(9), AgentID: ag(1), At: t0}, wantErr: swarm.ErrTaskNotFound},
		{name: "task of another swarm", given: running(), when: swarm.CompleteTask{TaskID: swarm.TaskID(swarm.IDFor("other"), 1), AgentID: ag(1), At: t0}, wantErr: decision.ErrNotFound},
		{
			name:    "bad fields",
			given:   running(),
			when:    swarm.CompleteTask{TaskID: "1", AgentID: "me", Output: []byte("{"), AddSteps: []byte("nope"), Usage: ledger.Usage{InputTokens: -1}},
			wantErr: decision.ErrInvalid, fields: []string{"task_id", "agent_id", "output", "usage.input_tokens", "add_steps", "at"},
		},
	})
}

func TestFailTask(t *testing.T) {
	attemptFailed := &hivev1.TaskAttemptFailed{
		SwarmId: sid, TaskId: tid(1), AgentId: ag(1), RunId: "r", StepId: "s", Key: "k", Attempt: 1, Cause: swarm.CauseFailed,
		Reason: "flaky", RetryAtUnixNano: ns(at(time.Minute + time.Second)), AtUnixNano: ns(at(time.Minute)), ExcludeAgent: true,
	}
	fail := func(n int, retryable bool) swarm.FailTask {
		return swarm.FailTask{TaskID: tid(1), AgentID: ag(n), Reason: "flaky", Retryable: retryable, At: at(time.Minute)}
	}
	finalFailure := &hivev1.TaskFailed{
		SwarmId: sid, TaskId: tid(1), AgentId: ag(1), RunId: "r", StepId: "s", Key: "k", Attempt: 1, Failure: &hivev1.TaskFailure{Cause: swarm.CauseFailed,
			Reason: "flaky"}, AtUnixNano: ns(at(time.Minute)),
	}
	runCases(t, []decisionCase{
		{name: "a retryable failure waits for a retry", given: running(), when: fail(1, true), then: []proto.Message{attemptFailed}},
		{name: "a failure that is not retryable is final", given: running(), when: fail(1, false), then: []proto.Message{finalFailure}},
		{
			name:  "the last attempt's failure is final",
			given: append(running(), attemptFailed, &hivev1.TaskRequeued{SwarmId: sid, TaskId: tid(1)}, assignedTo(1, 1, 2, t0)),
			when:  fail(1, true),
			then: []proto.Message{&hivev1.TaskFailed{
				SwarmId: sid, TaskId: tid(1), AgentId: ag(1), RunId: "r", StepId: "s", Key: "k", Attempt: 2, Failure: &hivev1.TaskFailure{Cause: swarm.CauseFailed,
					Reason: "flaky"}, AtUnixNano: ns(at(time.Minute)),
			}},
		},
		{name: "failed again by its agent while waiting", given: append(running(), attemptFailed), when: fail(1, true)},
		{name: "failed again by its agent when final", given: append(running(), finalFailure), when: fail(1, true)},
		{name: "assigned to another agent", given: running(), when: fail(2, true), wantErr: swarm.ErrNotAssigned},
		{name: "failed by another agent while waiting", given: append(running(), attemptFailed), when: fail(2, true), wantErr: swarm.ErrNotAssigned, msg: "is waiting"},
		{name: "completed", given: append(running(), completed(1, 1, time.Second)), when: fail(1, true), wantErr: swarm.ErrTaskFinished},
		{name: "bad fields", given: running(), when: swarm.FailTask{TaskID: tid(0), AgentID: ag(1), Reason: "a\x00"}, wantErr: decision.ErrInvalid, fields: []string{"task_id", "reason", "at"}},
	})
}

func TestCancelRunTasks(t *testing.T) {
	given := []proto.Message{
		created(swarm.Mesh), joined(1, 1), joined(2, 1),
		keyed(retrying(queued(1, ""), 3, time.Minute), "k1", "r", "a"), assignedTo(1, 1, 1, t0), // assigned
		keyed(queued(2, ""), "k2", "r", "b"), // queued, but the run is paused
		keyed(retrying(queued(3, ""), 3, time.Minute), "k3", "r", "c"), assignedTo(3, 2, 1, t0),
		&hivev1.TaskAttemptFailed{SwarmId: sid, TaskId: tid(3), AgentId: ag(2), Attempt: 1, RetryAtUnixNano: ns(at(time.Minute))}, // waiting
		keyed(queued(4, ""), "", "other", ""),
		&hivev1.SwarmRunPaused{SwarmId: sid, RunId: "r"},
	}
	cancel := func(seq uint64, n int, step, key string, attempt int32) *hivev1.TaskCancelled {
		c := &hivev1.TaskCancelled{SwarmId: sid, TaskId: tid(seq), RunId: "r", StepId: step, Key: key, Attempt: attempt, Reason: "stop", AtUnixNano: ns(t0)}
		if n > 0 {
			c.AgentId = ag(n)
		}
		return c
	}
	runCases(t, []decisionCase{
		{
			name:  "cancel every unfinished task of the run; freed members take other work",
			given: given,
			when:  swarm.CancelRunTasks{RunID: "r", Reason: "stop", At: t0},
			then: []proto.Message{
				cancel(1, 1, "a", "k1", 1), cancel(2, 0, "b", "k2", 0), cancel(3, 0, "c", "k3", 1),
				withRun(assignedTo(4, 1, 1, t0), "other"),
			},
		},
		{name: "a run without tasks", given: given, when: swarm.CancelRunTasks{RunID: "none", At: t0}},
		{name: "no run", given: given, when: swarm.CancelRunTasks{At: t0}, wantErr: decision.ErrInvalid, fields: []string{"run_id"}},
	})
}

func TestPauseAndResumeRun(t *testing.T) {
	paused := &hivev1.SwarmRunPaused{SwarmId: sid, RunId: "r"}
	runCases(t, []decisionCase{
		{name: "pause", given: []proto.Message{created(swarm.Mesh)}, when: swarm.PauseRun{RunID: "r"}, then: []proto.Message{paused}},
		{name: "pause a paused run", given: []proto.Message{created(swarm.Mesh), paused}, when: swarm.PauseRun{RunID: "r"}},
		{
			name:  "resume assigns the run's queued tasks",
			given: []proto.Message{created(swarm.Mesh), joined(1, 2), paused, keyed(queued(1, ""), "", "r", ""), keyed(queued(2, ""), "", "r", "")},
			when:  swarm.ResumeRun{RunID: "r", At: t0},
			then: []proto.Message{
				&hivev1.SwarmRunResumed{SwarmId: sid, RunId: "r", AtUnixNano: ns(t0)},
				withRun(assignedTo(1, 1, 1, t0), "r"), withRun(assignedTo(2, 1, 1, t0), "r"),
			},
		},
		{name: "resume a running run", given: []proto.Message{created(swarm.Mesh)}, when: swarm.ResumeRun{RunID: "r", At: t0}},
		{
			name:  "resume without a time dates assignments by the latest event",
			given: []proto.Message{created(swarm.Mesh), joined(1, 1), paused, timed(keyed(prioritized(1, 0, at(time.Hour)), "", "r", ""), time.Minute)},
			when:  swarm.ResumeRun{RunID: "r"},
			then: []proto.Message{
				&hivev1.SwarmRunResumed{SwarmId: sid, RunId: "r"},
				&hivev1.TaskAssigned{SwarmId: sid, TaskId: tid(1), AgentId: ag(1), Attempt: 1, RunId: "r", DeadlineUnixNano: ns(at(time.Hour + time.Minute)), AtUnixNano: ns(at(time.Hour))},
			},
		},
		{name: "pause without a run", given: []proto.Message{created(swarm.Mesh)}, when: swarm.PauseRun{}, wantErr: decision.ErrInvalid, fields: []string{"run_id"}},
	})
}

func TestTaskViewAndCounts(t *testing.T) {
	s := given(t, running()...)
	decide(t, &s, swarm.SubmitTask{Input: []byte(`{"n":2}`), At: t0})
	decide(t, &s, swarm.SubmitTask{Capability: "gpu", At: t0})
	decide(t, &s, swarm.CompleteTask{TaskID: tid(1), AgentID: ag(1), At: at(time.Second)})
	v := view(&s)
	if v.TaskCounts != (swarm.TaskCounts{Queued: 1, Assigned: 1, Completed: 1}) || v.QueueDepth != 1 {
		t.Fatalf("counts = %+v, queue depth %d", v.TaskCounts, v.QueueDepth)
	}
	if len(v.Tasks) != 2 || v.Tasks[0].ID != tid(2) || string(v.Tasks[0].Input) != `{"n":2}` || v.Tasks[0].AgentID != ag(2) {
		t.Fatalf("tasks = %+v", v.Tasks)
	}
	if v.Members[0].Stats.Completed != 1 || v.Members[0].Load != 0 || v.Members[1].Load != 1 {
		t.Fatalf("members = %+v", v.Members)
	}
}
