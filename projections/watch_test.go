package projections_test

import (
	"slices"
	"testing"

	"hive/actors/swarm"
	"hive/projections"
)

// woken reports whether wake was closed.
func woken(wake <-chan struct{}) bool {
	select {
	case <-wake:
		return true
	default:
		return false
	}
}

// TestDirectoryWakesARunsWatchersWhenItsStatusChanges applies the fleet's
// history one event at a time, each run watched before each event: only
// the events that end a run wake its watchers, and only its own.
func TestDirectoryWakesARunsWatchersWhenItsStatusChanges(t *testing.T) {
	w := fleet(t)
	d := projections.NewDirectory()
	type wake struct{ run, event string }
	var got []wake
	for _, env := range w.log {
		watched := map[string]<-chan struct{}{}
		for _, run := range []string{release, docs} {
			ch, stop := d.WatchRun(run)
			defer stop()
			watched[run] = ch
		}
		if err := d.Apply(committed(env)); err != nil {
			t.Fatal(err)
		}
		for _, run := range []string{release, docs} {
			if woken(watched[run]) {
				got = append(got, wake{run, env.Type})
			}
		}
	}
	want := []wake{{release, "hive.v1.RunCompleted"}, {docs, "hive.v1.RunCancelled"}}
	if !slices.Equal(got, want) {
		t.Fatalf("woken: %v, want %v", got, want)
	}
}

// TestTaskIndexWakesATasksWatchersAtEachOfItsEvents applies the fleet's
// history with the build step's first task watched before each event: the
// events that woke it are the task's own, as the index lists them.
func TestTaskIndexWakesATasksWatchersAtEachOfItsEvents(t *testing.T) {
	w := fleet(t)
	x := projections.NewTaskIndex()
	build, other := swarm.TaskID(crew, 1), swarm.TaskID(crew, 2)
	var got []uint64
	for _, env := range w.log {
		ch, stop := x.Watch(build)
		otherCh, stopOther := x.Watch(other)
		if err := x.Apply(committed(env)); err != nil {
			t.Fatal(err)
		}
		if woken(ch) {
			got = append(got, env.Position)
		}
		if woken(otherCh) && slices.Contains(got, env.Position) {
			t.Fatalf("the event at %d woke the watchers of %s and of %s", env.Position, build, other)
		}
		stop()
		stopOther()
	}
	want, ok := x.Positions(build)
	if !ok || len(want) < 4 || !slices.Equal(got, want) {
		t.Fatalf("woken at %v, want at the task's events %v", got, want)
	}
}

// TestAStoppedWatchIsNotWoken: a watch forgotten before the change stays
// open, and the change still wakes the other watches of the same run.
func TestAStoppedWatchIsNotWoken(t *testing.T) {
	w := fleet(t)
	d := projections.NewDirectory()
	stopped, stop := d.WatchRun(docs)
	kept, keep := d.WatchRun(docs)
	defer keep()
	stop()
	stop() // stopping twice is harmless
	applyAll(t, d, w.log)
	if woken(stopped) || !woken(kept) {
		t.Fatalf("after the run was cancelled: stopped watch woken %v, kept watch woken %v; want false, true", woken(stopped), woken(kept))
	}
}
