package storetest

import (
	"bytes"
	"context"
	"testing"
	"time"

	"hive/events"
)

// testCallersOwnTheirMemory checks that a store shares no memory with its
// callers: the events, payloads and snapshots it returns are the caller's
// to modify, even to append to, and changing the slices a caller passed
// in after the call changes nothing stored. A store that handed out its
// own memory would be corrupted (its hash chains broken) by a caller that
// reused a payload buffer.
func testCallersOwnTheirMemory(t *testing.T, s events.Store) {
	ctx := ctxTimeout(t, 10*time.Second)
	in := NewEvents(t, "own", 3)
	want := make([][]byte, len(in))
	for i := range in {
		want[i] = bytes.Clone(in[i].Payload)
	}
	MustAppend(t, s, "own", events.NoStream(), in)
	for i := range in {
		scribble(in[i].Payload) // the caller reuses its buffers
	}
	reads := []struct {
		name string
		read func() []events.Envelope
	}{
		{"ReadStream forward", func() []events.Envelope { return readStream(t, s, "own") }},
		{"ReadStream backward", func() []events.Envelope {
			got, err := s.ReadStream(ctx, "own", events.End, events.Backward, 10)
			if err != nil {
				t.Fatal(err)
			}
			return got
		}},
		{"ReadAll", func() []events.Envelope { return readAll(t, s) }},
		{"SubscribeAll", func() []events.Envelope { return subscribed(ctx, t, s, len(in)) }},
	}
	for _, r := range reads {
		for i, e := range r.read() {
			scribble(e.Payload)
			e.Payload = append(e.Payload, "appended"...)
			if i > 0 {
				e.Payload = e.Payload[:0]
			}
		}
		got := readStream(t, s, "own")
		for i := range got {
			if !bytes.Equal(got[i].Payload, want[i]) {
				t.Errorf("after the caller changed what %s returned, version %d's payload is %q, want %q", r.name, i+1, got[i].Payload, want[i])
			}
		}
		if err := events.VerifyChain(got); err != nil {
			t.Errorf("after the caller changed what %s returned: %v", r.name, err)
		}
	}
	checkPageIsolation(t, s)
	testSnapshotOwnership(ctx, t, s)
}

// checkPageIsolation appends to one event's payload of a page: the next
// event's payload, which may share the page's memory, does not change.
func checkPageIsolation(t *testing.T, s events.Store) {
	page := readStream(t, s, "own")
	next := bytes.Clone(page[1].Payload)
	_ = append(page[0].Payload, bytes.Repeat([]byte{'!'}, 64)...)
	if !bytes.Equal(page[1].Payload, next) {
		t.Errorf("appending to version 1's payload changed version 2's to %q", page[1].Payload)
	}
}

// testSnapshotOwnership is testCallersOwnTheirMemory for snapshots, when
// the store keeps them.
func testSnapshotOwnership(ctx context.Context, t *testing.T, s events.Store) {
	ss, ok := s.(events.SnapshotStore)
	if !ok {
		return
	}
	payload := []byte("state at 3")
	if err := ss.SaveSnapshot(ctx, events.Snapshot{Stream: "own", Version: 3, Type: "test.State", SchemaVersion: 1, Payload: payload}); err != nil {
		t.Fatal(err)
	}
	scribble(payload)
	for range 2 {
		got, err := ss.LoadSnapshot(ctx, "own")
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Payload) != "state at 3" {
			t.Fatalf("snapshot payload %q, want %q", got.Payload, "state at 3")
		}
		scribble(got.Payload) // the second load must not see it
	}
}

// subscribed returns the first n events of a subscription from the start.
func subscribed(ctx context.Context, t *testing.T, s events.Store, n int) []events.Envelope {
	t.Helper()
	sub, err := s.SubscribeAll(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	out := make([]events.Envelope, n)
	for i := range out {
		if out[i], err = sub.Next(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// scribble overwrites b.
func scribble(b []byte) {
	for i := range b {
		b[i] = 'X'
	}
}
