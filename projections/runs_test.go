package projections_test

import (
	"slices"
	"testing"

	"hive/projections"
)

func TestRunsFollowAWorkflowThroughItsSteps(t *testing.T) {
	w := fleet(t)
	r := projections.NewRuns()
	applyAll(t, r, w.log)
	run, ok := r.Get(release)
	if !ok {
		t.Fatal("release run missing")
	}
	if run.Status != "completed" || run.StepsTotal != 3 || run.StepsCompleted != 3 || run.StepsFailed != 0 || run.SwarmID != crew {
		t.Fatalf("release row = %+v", run.RunRow)
	}
	tests := []struct {
		step, state string
		attempts    int
		approval    bool
		deps        []string
	}{
		{"build", projections.StepCompleted, 2, false, []string{}},
		{"review", projections.StepCompleted, 1, false, []string{"build"}},
		{"ship", projections.StepCompleted, 1, true, []string{"review"}},
	}
	for i, tc := range tests {
		st := run.Steps[i]
		if st.ID != tc.step || st.State != tc.state || st.Attempts != tc.attempts || st.NeedsApproval != tc.approval ||
			!slices.Equal(st.DependsOn, tc.deps) || st.AgentID == "" || st.StartedAt.IsZero() || st.FinishedAt.Before(st.StartedAt) {
			t.Errorf("step %d = %+v, want %s %s after %d attempts", i, st, tc.step, tc.state, tc.attempts)
		}
	}
	var types []string
	for _, e := range run.Timeline {
		types = append(types, e.Type)
	}
	for _, want := range []string{"run_started", "step_dispatched", "task_assigned", "task_attempt_failed", "step_completed",
		"step_awaiting_approval", "step_approved", "run_completed"} {
		if !slices.Contains(types, want) {
			t.Errorf("timeline %v lacks %s", types, want)
		}
	}
	docsRun, _ := r.Get(docs)
	if docsRun.Status != "cancelled" || docsRun.Steps[0].State != projections.StepCancelled {
		t.Fatalf("docs = %+v, want cancelled with its step", docsRun)
	}
}

func TestRunsStepStatesAsTheyHappen(t *testing.T) {
	w := fleet(t)
	r := projections.NewRuns()
	// states of the release run's steps after each event, only when they change
	var seen []string
	last := ""
	for _, env := range w.log {
		applyAll(t, r, w.log[env.Position-1:env.Position])
		run, ok := r.Get(release)
		if !ok {
			continue
		}
		now := ""
		for _, st := range run.Steps {
			now += st.State[:2] + " "
		}
		if now != last {
			seen, last = append(seen, now), now
		}
	}
	want := []string{
		"pe pe pe ", "qu pe pe ", "ru pe pe ", "qu pe pe ", "ru pe pe ", "co pe pe ", "co qu pe ", "co ru pe ", "co co pe ",
		"co co aw ", "co co pe ", "co co qu ", "co co ru ", "co co co ",
	}
	if !slices.Equal(seen, want) {
		t.Fatalf("step states went\n%q\nwant\n%q", seen, want)
	}
}

func TestRunsPageFiltersAndContinues(t *testing.T) {
	w := fleet(t)
	r := projections.NewRuns()
	applyAll(t, r, w.log)
	all := func(*projections.RunRow) bool { return true }
	first, next := r.Page(0, 1, all)
	if len(first) != 1 || first[0].ID != release || next == 0 {
		t.Fatalf("first page = %+v next %d", first, next)
	}
	second, next := r.Page(next, 1, all)
	if len(second) != 1 || second[0].ID != docs || next != 0 {
		t.Fatalf("second page = %+v next %d", second, next)
	}
	cancelled, _ := r.Page(0, 10, func(row *projections.RunRow) bool { return row.Status == "cancelled" })
	if len(cancelled) != 1 || cancelled[0].ID != docs {
		t.Fatalf("cancelled = %+v", cancelled)
	}
	total, byStatus := r.Counts()
	if total != 2 || byStatus["completed"] != 1 || byStatus["cancelled"] != 1 {
		t.Fatalf("counts = %d %v", total, byStatus)
	}
}
