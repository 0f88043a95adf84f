package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"hive/events"
)

// testIdempotentDeep repeats an append after many later appends to the
// same stream: a retry that comes late is still recognised, with an exact
// expectation at any depth, and with any other expectation at any depth
// unless the store declares a ReplayWindow, within it.
func testIdempotentDeep(t *testing.T, s events.Store, l limits) {
	const later = 40
	in := NewEvents(t, "deep", 2)
	first := MustAppend(t, s, "deep", events.NoStream(), in)
	for i := 0; i < later; i++ {
		MustAppend(t, s, "deep", events.Any(), NewEvents(t, "deep", 1))
	}
	window := MustAppend(t, s, "deep", events.Any(), NewEvents(t, "deep", 2))
	ctx := context.Background()
	for _, exp := range []events.ExpectedVersion{events.NoStream(), events.Exact(0)} {
		again, err := s.Append(ctx, "deep", exp, in)
		if err != nil || again != first {
			t.Errorf("repeat of version 1-2 with %s after %d later events = %+v, %v; want the original %+v", exp, later+2, again, err, first)
		}
	}
	recent := readStream(t, s, "deep")[window.LastVersion-2:]
	repeat := []events.Event{eventOf(recent[0]), eventOf(recent[1])}
	for _, exp := range []events.ExpectedVersion{events.Any(), events.StreamExists(), events.Exact(window.LastVersion - 2)} {
		again, err := s.Append(ctx, "deep", exp, repeat)
		if err != nil || again != window {
			t.Errorf("repeat of the newest append with %s = %+v, %v; want the original %+v", exp, again, err, window)
		}
	}
	if l.replayWindow == 0 || l.replayWindow > later+2 {
		for _, exp := range []events.ExpectedVersion{events.Any(), events.StreamExists()} {
			again, err := s.Append(ctx, "deep", exp, in)
			if err != nil || again != first {
				t.Errorf("repeat of version 1-2 with %s after %d later events = %+v, %v; want the original %+v", exp, later+2, again, err, first)
			}
		}
	}
	if got := readStream(t, s, "deep"); uint64(len(got)) != window.LastVersion {
		t.Errorf("stream has %d events after the repeats, want %d", len(got), window.LastVersion)
	}
}

// eventOf is the event an envelope records, as it was appended.
func eventOf(e events.Envelope) events.Event {
	return events.Event{ID: e.ID, Type: e.Type, SchemaVersion: e.SchemaVersion, Payload: e.Payload, RecordedAt: e.RecordedAt, Metadata: e.Metadata}
}

// checkIDReusedElsewhere checks what a store declaring IDsCheckedPerStream
// does with an id of another stream's: it stores the event in the stream
// appended to, and changes nothing else.
func checkIDReusedElsewhere(t *testing.T, s events.Store, stored []events.Event) {
	before := readAll(t, s)
	res, err := s.Append(context.Background(), "dup-other", events.NoStream(), stored)
	if err != nil {
		if errors.Is(err, events.ErrDuplicateEventID) {
			t.Errorf("the store declares IDsCheckedPerStream but refused an id of another stream: %v", err)
		} else {
			t.Errorf("append of an id of another stream: %v", err)
		}
		return
	}
	got := readStream(t, s, "dup-other")
	if len(got) != len(stored) || got[0].ID != stored[0].ID || res.LastVersion != uint64(len(stored)) {
		t.Errorf("dup-other holds %d events (%v) after the append, want the %d appended", len(got), ids(got), len(stored))
	}
	if after := readAll(t, s); len(after) != len(before)+len(stored) {
		t.Errorf("the log grew from %d to %d events, want %d more", len(before), len(after), len(stored))
	}
}

func ids(envs []events.Envelope) []string {
	out := make([]string, len(envs))
	for i, e := range envs {
		out[i] = fmt.Sprint(e.ID)
	}
	return out
}
