package projections_test

import (
	"encoding/json"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

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

// TestRestoreReportsTheSavedPositions: Restore, before Run, loads the
// saved states and says which position each reached, the evidence of how
// far the log went.
func TestRestoreReportsTheSavedPositions(t *testing.T) {
	states := savedRecorder(t, 42)
	rec, unsaved := &recorder{}, projections.NewAgents()
	r, err := projections.NewRunner(memstore.New(0), slog.New(slog.DiscardHandler), prometheus.NewRegistry(), rec, unsaved)
	if err != nil {
		t.Fatal(err)
	}
	r.With(projections.Options{States: states})
	got := r.Restore()
	if want := []projections.Saved{{Name: "recorder", Checkpoint: 42}}; !slices.Equal(got, want) {
		t.Fatalf("Restore = %v, want %v", got, want)
	}
	if rec.Checkpoint() != 42 {
		t.Fatalf("restored checkpoint %d, want 42", rec.Checkpoint())
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
