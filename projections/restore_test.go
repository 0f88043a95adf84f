package projections_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"hive/events"
	"hive/events/memstore"
	"hive/projections"
)

// savedRecorder saves a recorder state at checkpoint in a new state
// directory and returns it.
func savedRecorder(t *testing.T, checkpoint uint64) *projections.Dir {
	t.Helper()
	states, err := projections.OpenDir(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(recorderState{Checkpoint: checkpoint, Positions: []uint64{checkpoint}})
	if err != nil {
		t.Fatal(err)
	}
	if err := states.Save("recorder", data); err != nil {
		t.Fatal(err)
	}
	return states
}

// TestRestoreReportsTheSavedPositions: Restore loads the saved states
// and says which position each reached, the evidence of how far the log
// went; a runner then takes the restored read model as it is, without
// loading its state again.
func TestRestoreReportsTheSavedPositions(t *testing.T) {
	states := savedRecorder(t, 42)
	rec := &recorder{}
	got := projections.Restore(states, slog.New(slog.DiscardHandler), rec, projections.NewAgents())
	if want := []projections.Saved{{Name: "recorder", Checkpoint: 42}}; !slices.Equal(got, want) {
		t.Fatalf("Restore = %v, want %v", got, want)
	}
	data, err := json.Marshal(recorderState{Checkpoint: 7, Positions: []uint64{7}})
	if err == nil {
		err = states.Save("recorder", data)
	}
	if err != nil {
		t.Fatal(err)
	}
	store := memstore.New(0)
	var last events.AppendResult
	for i := range 50 {
		last = appendRegistered(t, store, fmt.Sprintf("agent-%d", i))
	}
	r, _ := run(t, store, projections.Options{States: states}, rec)
	if err := r.WaitFor(waitCtx(t), last.LastPosition); err != nil {
		t.Fatal(err)
	}
	want := []uint64{42}
	for _, pos := range allPositions(t, store) {
		if pos > 42 {
			want = append(want, pos)
		}
	}
	if got := rec.positions(); !slices.Equal(got, want) {
		t.Fatalf("the runner's read model holds %v, want the restored state (42) and what follows: %v", got, want)
	}
}

// TestStateAheadOfTheLogIsReplacedAtOnce: a saved state beyond the log's
// head is rebuilt, and its saved state replaced when Run starts, so that
// the saved position no longer claims what the log does not hold.
func TestStateAheadOfTheLogIsReplacedAtOnce(t *testing.T) {
	states := savedRecorder(t, 42)
	store := memstore.New(0)
	appendRegistered(t, store, "one")
	run(t, store, projections.Options{States: states, SaveInterval: time.Hour}, &recorder{})
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, err := states.Load("recorder")
		var s recorderState
		if err == nil {
			err = json.Unmarshal(data, &s)
		}
		if err != nil {
			t.Fatal(err)
		}
		if s.Checkpoint <= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the saved state still claims position %d, beyond the head 1", s.Checkpoint)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
