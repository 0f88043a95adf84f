package projections_test

import (
	"context"
	"errors"
	"testing"

	"hive/actors/swarm"
	"hive/events"
	"hive/projections"
)

// logReader reads a history by position, as the store does.
type logReader []*events.Envelope

func (l logReader) ReadAll(_ context.Context, after uint64, limit int) ([]events.Envelope, error) {
	var out []events.Envelope
	for _, env := range l {
		if env.Position > after && len(out) < limit {
			out = append(out, *env)
		}
	}
	return out, nil
}

// readTask reads task id from the index over log.
func readTask(t *testing.T, x *projections.TaskIndex, log []*events.Envelope, id string) projections.Task {
	t.Helper()
	positions, ok := x.Positions(id)
	if !ok {
		t.Fatalf("the index does not know task %s", id)
	}
	task, err := projections.ReadTask(t.Context(), logReader(log), positions)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

func TestTasksAreReadFinishedOrNot(t *testing.T) {
	w := fleet(t)
	x := projections.NewTaskIndex()
	applyAll(t, x, w.log)

	build := readTask(t, x, w.log, swarm.TaskID(crew, 1))
	if build.Status != "completed" || string(build.Output) != `{"ok":true}` || build.RunID != release || build.StepID != "build" ||
		build.Usage != (projections.Usage{Model: "m", InputTokens: 120, OutputTokens: 30, CostMicros: 9}) ||
		build.Attempt != 2 || len(build.Attempts) != 2 || build.FinishedAt.IsZero() || !build.Deadline.IsZero() || !build.RetryAt.IsZero() {
		t.Fatalf("build task = %+v", build)
	}
	first, second := build.Attempts[0], build.Attempts[1]
	if first.Outcome != "failed" || first.Reason != "flaky test" || first.EndedAt.IsZero() || first.AgentID == "" ||
		second.Outcome != "completed" || second.Attempt != 2 || second.AssignedAt.Before(first.EndedAt) {
		t.Fatalf("build attempts = %+v", build.Attempts)
	}

	plan, ok := lastTaskOf(t, x, w.log, docs)
	if !ok || plan.Status != "cancelled" || plan.Reason != "not needed" || len(plan.Attempts) != 0 || plan.FinishedAt.IsZero() {
		t.Fatalf("cancelled plan task = %+v", plan)
	}
	if _, ok := x.Positions(swarm.TaskID(crew, 99)); ok {
		t.Fatal("the index knows a task never queued")
	}
	if _, ok := x.Positions("not-a-task"); ok {
		t.Fatal("the index knows a malformed id")
	}
}

// lastTaskOf reads the newest task of a run.
func lastTaskOf(t *testing.T, x *projections.TaskIndex, log []*events.Envelope, runID string) (projections.Task, bool) {
	t.Helper()
	for seq := uint64(20); seq > 0; seq-- {
		if _, ok := x.Positions(swarm.TaskID(crew, seq)); !ok {
			continue
		}
		if task := readTask(t, x, log, swarm.TaskID(crew, seq)); task.RunID == runID {
			return task, true
		}
	}
	return projections.Task{}, false
}

func TestATaskHistoryThatIsNotTheLogsIsAnError(t *testing.T) {
	w := fleet(t)
	x := projections.NewTaskIndex()
	applyAll(t, x, w.log)
	positions, _ := x.Positions(swarm.TaskID(crew, 1))
	cases := map[string][]uint64{
		"a position past the log":             append(positions, uint64(len(w.log)+5)),
		"a first event that is no TaskQueued": positions[1:],
		"a second TaskQueued":                 {positions[0], positions[0]},
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := projections.ReadTask(context.Background(), logReader(w.log), bad); !errors.Is(err, projections.ErrTaskHistory) {
				t.Fatalf("ReadTask = %v, want ErrTaskHistory", err)
			}
		})
	}
}
