package pgstore

import (
	"errors"
	"testing"

	"github.com/google/uuid"

	"hive/events"
)

// TestGroupDecidesEachRequest stages one group's requests against a
// database holding stream "a" at version 2: each request is decided on its
// own, against the database as the requests before it leave it, and a
// refused or repeated one stages nothing.
func TestGroupDecidesEachRequest(t *testing.T) {
	stored := []uuid.UUID{uuid.New(), uuid.New()}
	fresh := func(n int) []events.Event {
		evs := make([]events.Event, n)
		for i := range evs {
			evs[i] = events.Event{ID: uuid.New(), Type: "t"}
		}
		return evs
	}
	first := fresh(2)
	tests := []struct {
		name     string
		stream   string
		expected events.ExpectedVersion
		evs      []events.Event
		want     events.AppendResult
		wantErr  error
	}{
		{"appends after the stored events", "a", events.Exact(2), first, events.AppendResult{LastVersion: 4, LastPosition: 12}, nil},
		{"conflicts with the request before it", "a", events.Exact(2), fresh(1), events.AppendResult{}, events.ErrWrongExpectedVersion},
		{"repeats a stored append", "a", events.Any(), []events.Event{{ID: stored[0]}, {ID: stored[1]}}, events.AppendResult{LastVersion: 2, LastPosition: 7}, nil},
		{"repeats the first request", "a", events.NoStream(), first, events.AppendResult{LastVersion: 4, LastPosition: 12}, nil},
		{"reuses a stored id elsewhere", "b", events.Any(), []events.Event{{ID: stored[0]}}, events.AppendResult{}, events.ErrDuplicateEventID},
		{"starts a new stream after a refusal", "b", events.NoStream(), fresh(1), events.AppendResult{LastVersion: 1, LastPosition: 13}, nil},
		{"follows the request before it", "a", events.Exact(4), fresh(1), events.AppendResult{LastVersion: 5, LastPosition: 14}, nil},
	}
	g := newGroup(nil)
	g.next = 11
	g.heads["a"] = streamHead{version: 2}
	g.stored[stored[0]] = events.Location{Stream: "a", Version: 1, Position: 3}
	g.stored[stored[1]] = events.Location{Stream: "a", Version: 2, Position: 7}
	for _, tc := range tests {
		r := g.stage(&request{stream: tc.stream, expected: tc.expected, evs: tc.evs})
		if !errors.Is(r.err, tc.wantErr) || (tc.wantErr == nil && r.res != tc.want) {
			t.Errorf("%s: %+v, %v; want %+v, %v", tc.name, r.res, r.err, tc.want, tc.wantErr)
		}
	}
	if n := len(g.rows.positions); n != 4 {
		t.Errorf("the group staged %d events, want 4", n)
	}
	if g.appends != 3 {
		t.Errorf("the group counts %d appends, want 3", g.appends)
	}
	names, versions, _ := g.changedHeads()
	if len(names) != 2 || names[0] != "a" || versions[0] != 5 || names[1] != "b" || versions[1] != 1 {
		t.Errorf("changed heads %v at %v, want a at 5 and b at 1", names, versions)
	}
}
