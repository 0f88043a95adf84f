package projections_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"hive/projections"
)

func TestDirSavesAndLoadsStates(t *testing.T) {
	dir := t.TempDir()
	states, err := projections.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := states.Load("agents"); !errors.Is(err, projections.ErrNoState) {
		t.Fatalf("Load before any save = %v, want ErrNoState", err)
	}
	for _, v := range []string{"first", "second, longer"} {
		if err := states.Save("agents", []byte(v)); err != nil {
			t.Fatal(err)
		}
		got, err := states.Load("agents")
		if err != nil || string(got) != v {
			t.Fatalf("Load = %q, %v; want %q", got, err, v)
		}
	}
	if err := states.Save("../escape", nil); err == nil {
		t.Error("saved a state under a name that is not a projection name")
	}
	left, err := filepath.Glob(filepath.Join(dir, "*.tmp"))
	if err != nil || len(left) != 0 {
		t.Errorf("temporary files left: %v, %v", left, err)
	}
}

func TestDirRefusesADamagedState(t *testing.T) {
	dir := t.TempDir()
	states, err := projections.OpenDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := states.Save("feed", []byte("some state")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "feed.state")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] ^= 1
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := states.Load("feed"); !errors.Is(err, projections.ErrCorruptState) {
		t.Fatalf("Load of a flipped byte = %v, want ErrCorruptState", err)
	}
	if err := os.WriteFile(path, b[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := states.Load("feed"); !errors.Is(err, projections.ErrCorruptState) {
		t.Fatalf("Load of a truncated file = %v, want ErrCorruptState", err)
	}
}
