package storetest

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"hive/events"
)

// testSnapshots checks the optional SnapshotStore capability, when the
// store has it.
func testSnapshots(t *testing.T, s events.Store) {
	ss, ok := s.(events.SnapshotStore)
	if !ok {
		t.Skip("the store keeps no snapshots")
	}
	ctx := context.Background()
	if _, err := ss.LoadSnapshot(ctx, "agent-1"); !errors.Is(err, events.ErrSnapshotNotFound) {
		t.Fatalf("LoadSnapshot of a stream without one = %v, want ErrSnapshotNotFound", err)
	}
	save := func(version uint64, payload string) {
		t.Helper()
		err := ss.SaveSnapshot(ctx, events.Snapshot{Stream: "agent-1", Version: version, Type: "test.State", SchemaVersion: 1, Payload: []byte(payload)})
		if err != nil {
			t.Fatalf("SaveSnapshot at %d: %v", version, err)
		}
	}
	load := func() events.Snapshot {
		t.Helper()
		got, err := ss.LoadSnapshot(ctx, "agent-1")
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	save(10, "ten")
	save(20, "twenty")
	save(15, "fifteen") // older than the one kept: ignored
	got := load()
	if got.Version != 20 || !bytes.Equal(got.Payload, []byte("twenty")) || got.Type != "test.State" || got.SchemaVersion != 1 || got.Stream != "agent-1" {
		t.Fatalf("LoadSnapshot = %+v, want version 20", got)
	}
	if _, err := ss.LoadSnapshot(ctx, "agent-10"); !errors.Is(err, events.ErrSnapshotNotFound) {
		t.Fatalf("another stream's snapshot leaked: %v", err)
	}
	if h := head(t, s); h != 0 {
		t.Errorf("snapshots moved the event log's head to %d", h)
	}
	bad := []events.Snapshot{
		{Stream: "", Version: 1, Type: "t"},
		{Stream: "s", Version: 0, Type: "t"},
		{Stream: "s", Version: 1},
		{Stream: "s", Version: 1, Type: "t", Payload: make([]byte, events.SnapshotSizeFactor*SmallEventLimit+1)},
	}
	for _, b := range bad {
		if err := ss.SaveSnapshot(ctx, b); !errors.Is(err, events.ErrInvalidArgument) {
			t.Errorf("SaveSnapshot(%+v) = %v, want ErrInvalidArgument", b.Stream, err)
		}
	}
}
