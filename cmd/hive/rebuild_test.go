package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hive/events/pebblestore"
	"hive/projections"
)

// TestReadModelsRebuiltEqualIncremental runs a long random workload through
// a server that is stopped and restarted midway (so its read models resume
// from their saved states), then rebuilds every persistent read model from
// position zero and checks it equals the state the server saved.
func TestReadModelsRebuiltEqualIncremental(t *testing.T) {
	if testing.Short() {
		t.Skip("long random history")
	}
	set := settings{dataDir: t.TempDir(), heartbeatTimeout: time.Minute, timerInterval: 10 * time.Millisecond}
	for round := range 3 {
		logs := newLockedBuffer()
		s, stop := launch(t, set, slog.New(slog.NewTextHandler(logs, nil)))
		newWorkload(t, s, uint64(round)+1).run(800)
		stop() // saves the read models' states
		if resumed := strings.Contains(logs.String(), "projection state restored"); resumed != (round > 0) {
			t.Fatalf("round %d: resumed from a saved state: %v, want %v; log:\n%s", round, resumed, round > 0, logs)
		}
	}

	states, err := projections.OpenDir(filepath.Join(set.dataDir, "projections"))
	if err != nil {
		t.Fatal(err)
	}
	store, err := pebblestore.Open(pebblestore.Config{Dir: filepath.Join(set.dataDir, "events")})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	head, err := store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("history of %d events", head)

	checked := 0
	for _, p := range newReadModels().all() {
		rebuilt, ok := p.(projections.Persistent)
		if !ok {
			t.Errorf("%s does not save its state: a restart replays the whole log for it", p.Name())
			continue
		}
		saved, err := states.Load(rebuilt.Name())
		if err != nil {
			t.Fatalf("%s: %v", rebuilt.Name(), err)
		}
		incremental := newReadModels().byName(t, rebuilt.Name())
		if err := incremental.UnmarshalState(saved); err != nil {
			t.Fatalf("%s: %v", rebuilt.Name(), err)
		}
		// Events committed while the server stopped may come after the
		// saved state; the last requests' did not.
		if incremental.Checkpoint()+10 < head {
			t.Errorf("%s: saved at %d, far behind the head %d", rebuilt.Name(), incremental.Checkpoint(), head)
		}
		if _, err := applyLog(t.Context(), store, rebuilt, incremental.Checkpoint()); err != nil {
			t.Fatal(err)
		}
		got, err := rebuilt.MarshalState()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, saved) {
			t.Errorf("%s: rebuilt state differs from the incremental one:\nrebuilt:     %.2000s\nincremental: %.2000s", rebuilt.Name(), got, saved)
		}
		checked++
	}
	if checked < 10 {
		t.Fatalf("compared %d read models, want all of them", checked)
	}
}

// byName returns the persistent read model called name.
func (rm *readModels) byName(t *testing.T, name string) projections.Persistent {
	t.Helper()
	for _, p := range rm.all() {
		if p.Name() == name {
			return p.(projections.Persistent)
		}
	}
	t.Fatalf("no read model %s", name)
	return nil
}

func TestProjectionsRebuildCommand(t *testing.T) {
	set := settings{dataDir: t.TempDir(), heartbeatTimeout: time.Minute, timerInterval: 10 * time.Millisecond}
	s, stop := launch(t, set, slog.New(slog.DiscardHandler))
	newWorkload(t, s, 7).run(50)
	var before struct{ Agents []map[string]any }
	s.must(t, http.MethodGet, "/v1/agents?limit=500", nil, &before)
	stop()

	stateDir := filepath.Join(set.dataDir, "projections")
	if err := os.RemoveAll(stateDir); err != nil {
		t.Fatal(err)
	}
	out := runCLI(t, "projections", "rebuild", "--data-dir", set.dataDir)
	store, err := pebblestore.Open(pebblestore.Config{Dir: filepath.Join(set.dataDir, "events")})
	if err != nil {
		t.Fatal(err)
	}
	head, err := store.Head(context.Background())
	if cerr := store.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	states, err := projections.OpenDir(stateDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range newReadModels().all() {
		pp, ok := p.(projections.Persistent)
		if !ok {
			continue
		}
		if !strings.Contains(out, p.Name()) {
			t.Errorf("rebuild output does not name %s:\n%s", p.Name(), out)
		}
		saved, err := states.Load(p.Name())
		if err == nil {
			err = pp.UnmarshalState(saved)
		}
		if err != nil || pp.Checkpoint() != head {
			t.Errorf("%s after the rebuild: checkpoint %d, want the head %d (%v)", p.Name(), pp.Checkpoint(), head, err)
		}
	}
	if _, err := runHive(t, "projections", "rebuild", "no-such-model", "--data-dir", set.dataDir); err == nil || !strings.Contains(err.Error(), "runs") {
		t.Errorf("rebuild of an unknown read model = %v, want an error listing the read models", err)
	}

	s, _ = launch(t, set, slog.New(slog.DiscardHandler))
	var after struct{ Agents []map[string]any }
	s.must(t, http.MethodGet, "/v1/agents?limit=500", nil, &after)
	if len(after.Agents) == 0 || len(after.Agents) != len(before.Agents) {
		t.Fatalf("%d agents after the rebuild, %d before", len(after.Agents), len(before.Agents))
	}
}
