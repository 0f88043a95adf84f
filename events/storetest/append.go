package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"hive/events"
)

func testAppendThenReadStream(t *testing.T, s events.Store) {
	in := NewEvents(t, "order-1", 3)
	res := MustAppend(t, s, "order-1", events.NoStream(), in)
	if res.LastVersion != 3 {
		t.Fatalf("LastVersion = %d, want 3", res.LastVersion)
	}
	got := readStream(t, s, "order-1")
	if len(got) != 3 {
		t.Fatalf("read %d events, want 3", len(got))
	}
	for i, e := range got {
		want := in[i]
		if e.ID != want.ID || e.Type != want.Type || !bytes.Equal(e.Payload, want.Payload) ||
			e.Metadata != want.Metadata || e.SchemaVersion != want.SchemaVersion {
			t.Errorf("event %d = %+v, want the appended %+v", i, e, want)
		}
		if e.Stream != "order-1" || e.Version != uint64(i+1) {
			t.Errorf("event %d is %s version %d, want order-1 version %d", i, e.Stream, e.Version, i+1)
		}
		if e.RecordedAt.IsZero() {
			t.Errorf("event %d has no recorded time", i)
		}
		if i > 0 && e.Position <= got[i-1].Position {
			t.Errorf("event %d position %d not after %d", i, e.Position, got[i-1].Position)
		}
	}
	stamped := NewEvents(t, "stamped", 1)
	stamped[0].RecordedAt = time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("X", 3600))
	last := MustAppend(t, s, "stamped", events.NoStream(), stamped)
	if h := head(t, s); h != last.LastPosition {
		t.Errorf("Head = %d, want %d", h, last.LastPosition)
	}
	if e := readStream(t, s, "stamped")[0]; !e.RecordedAt.Equal(stamped[0].RecordedAt) || e.RecordedAt.Location() != time.UTC {
		t.Errorf("recorded time %v, want the given %v in UTC", e.RecordedAt, stamped[0].RecordedAt)
	}
	if res.LastPosition != got[2].Position {
		t.Errorf("LastPosition = %d, want the last event's position %d", res.LastPosition, got[2].Position)
	}
}

func testExpectedVersion(t *testing.T, s events.Store) {
	MustAppend(t, s, "existing", events.NoStream(), NewEvents(t, "existing", 2))
	tests := []struct {
		name     string
		stream   string
		expected events.ExpectedVersion
		ok       bool
		actual   uint64
	}{
		{"any on missing stream", "new-any", events.Any(), true, 0},
		{"any on existing stream", "existing", events.Any(), true, 0},
		{"no stream on missing stream", "new-none", events.NoStream(), true, 0},
		{"no stream on existing stream", "existing", events.NoStream(), false, 3},
		{"stream exists on missing stream", "missing", events.StreamExists(), false, 0},
		{"exact zero on missing stream", "new-exact0", events.Exact(0), true, 0},
		{"exact on missing stream", "missing", events.Exact(1), false, 0},
		{"exact current", "existing", events.Exact(3), true, 0}, // after "any on existing stream"
		{"exact stale", "existing", events.Exact(2), false, 4},
		{"exact ahead", "existing", events.Exact(9), false, 4},
		{"stream exists on existing stream", "existing", events.StreamExists(), true, 0},
	}
	for _, tc := range tests {
		before := head(t, s)
		_, err := s.Append(context.Background(), tc.stream, tc.expected, NewEvents(t, tc.stream, 1))
		if tc.ok {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var wev *events.WrongExpectedVersionError
		if !errors.Is(err, events.ErrWrongExpectedVersion) || !errors.As(err, &wev) {
			t.Errorf("%s: err = %v, want a WrongExpectedVersionError", tc.name, err)
			continue
		}
		if wev.Actual != tc.actual || wev.Stream != tc.stream {
			t.Errorf("%s: error says %s at %d, want %s at %d", tc.name, wev.Stream, wev.Actual, tc.stream, tc.actual)
		}
		if h := head(t, s); h != before {
			t.Errorf("%s: failed append moved head from %d to %d", tc.name, before, h)
		}
	}
}

func testIdempotentAppend(t *testing.T, s events.Store) {
	in := NewEvents(t, "idem", 3)
	first := MustAppend(t, s, "idem", events.NoStream(), in)
	MustAppend(t, s, "other", events.NoStream(), NewEvents(t, "other", 1))
	for _, exp := range []events.ExpectedVersion{events.NoStream(), events.Any(), events.Exact(0), events.StreamExists()} {
		again, err := s.Append(context.Background(), "idem", exp, in)
		if err != nil {
			t.Fatalf("repeat append with %s: %v", exp, err)
		}
		if again != first {
			t.Errorf("repeat append with %s = %+v, want the original %+v", exp, again, first)
		}
	}
	if got := readStream(t, s, "idem"); len(got) != 3 {
		t.Errorf("stream has %d events after repeats, want 3", len(got))
	}
	if got := readAll(t, s); len(got) != 4 {
		t.Errorf("log has %d events after repeats, want 4", len(got))
	}
	// A repeat of the first two events alone is also the same append.
	if _, err := s.Append(context.Background(), "idem", events.Any(), in[:2]); err != nil {
		t.Errorf("repeat of a prefix: %v", err)
	}
}

func testDuplicateEventID(t *testing.T, s events.Store, l limits) {
	in := NewEvents(t, "dup", 2)
	MustAppend(t, s, "dup", events.NoStream(), in)
	fresh := NewEvents(t, "dup", 1)
	if l.idsPerStream {
		checkIDReusedElsewhere(t, s, in[:1])
	}
	tests := []struct {
		name   string
		stream string
		evs    []events.Event
		// perStream: a reuse the store must refuse even if it checks ids
		// only in the appended stream.
		perStream bool
	}{
		{"same id in another stream", "dup-other", in[:1], false},
		{"stored id after a new one", "dup", []events.Event{fresh[0], in[0]}, true},
		{"new id after a stored one", "dup", []events.Event{in[1], fresh[0]}, true},
		{"stored ids out of order", "dup", []events.Event{in[1], in[0]}, true},
	}
	for _, tc := range tests {
		if l.idsPerStream && !tc.perStream {
			continue // checked by checkIDReusedElsewhere
		}
		before := head(t, s)
		_, err := s.Append(context.Background(), tc.stream, events.Any(), tc.evs)
		if !errors.Is(err, events.ErrDuplicateEventID) {
			t.Errorf("%s: err = %v, want ErrDuplicateEventID", tc.name, err)
		}
		if h := head(t, s); h != before {
			t.Errorf("%s: head moved from %d to %d", tc.name, before, h)
		}
	}
}

func testEventTooLarge(t *testing.T, s events.Store) {
	evs := NewEvents(t, "big", 2)
	evs[1].Payload = make([]byte, SmallEventLimit+1)
	_, err := s.Append(context.Background(), "big", events.Any(), evs)
	var tooLarge *events.EventTooLargeError
	if !errors.Is(err, events.ErrEventTooLarge) || !errors.As(err, &tooLarge) {
		t.Fatalf("err = %v, want an EventTooLargeError", err)
	}
	if tooLarge.ID != evs[1].ID || tooLarge.Limit != SmallEventLimit {
		t.Errorf("error names %s limit %d, want %s limit %d", tooLarge.ID, tooLarge.Limit, evs[1].ID, SmallEventLimit)
	}
	if _, err := s.ReadStream(context.Background(), "big", 1, events.Forward, 10); !errors.Is(err, events.ErrStreamNotFound) {
		t.Errorf("after a refused append, read = %v, want ErrStreamNotFound (nothing appended)", err)
	}
	evs[1].Payload = make([]byte, SmallEventLimit/2)
	MustAppend(t, s, "big", events.NoStream(), evs)
}

func testInvalidArguments(t *testing.T, s events.Store) {
	ctx := context.Background()
	ok := NewEvents(t, "s", 1)
	noType := NewEvents(t, "s", 1)
	noType[0].Type = ""
	noID := NewEvents(t, "s", 1)
	noID[0].ID = uuid.Nil
	twice := append(NewEvents(t, "s", 1), ok[0], ok[0])
	badUTF8 := NewEvents(t, "s", 1)
	badUTF8[0].Principal = "a\xffb"
	farFuture := NewEvents(t, "s", 1)
	farFuture[0].RecordedAt = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	appends := []struct {
		name   string
		stream string
		evs    []events.Event
	}{
		{"empty stream name", "", ok},
		{"NUL in stream name", "a\x00b", ok},
		{"no events", "s", nil},
		{"event without type", "s", noType},
		{"event without id", "s", noID},
		{"id twice in one append", "s", twice},
		{"metadata not UTF-8", "s", badUTF8},
		{"recorded time past 2262", "s", farFuture},
	}
	for _, tc := range appends {
		if _, err := s.Append(ctx, tc.stream, events.Any(), tc.evs); !errors.Is(err, events.ErrInvalidArgument) {
			t.Errorf("append with %s: err = %v, want ErrInvalidArgument", tc.name, err)
		}
	}
	if h := head(t, s); h != 0 {
		t.Errorf("invalid appends moved head to %d", h)
	}
	testInvalidReads(t, s)
}

// testInvalidReads checks that every store refuses the same bad read
// arguments with ErrInvalidArgument, and before it looks for the stream:
// an invalid name is not a stream that does not exist.
func testInvalidReads(t *testing.T, s events.Store) {
	ctx := context.Background()
	MustAppend(t, s, "s", events.NoStream(), NewEvents(t, "s", 1))
	for _, limit := range []int{0, -1} {
		if _, err := s.ReadAll(ctx, 0, limit); !errors.Is(err, events.ErrInvalidArgument) {
			t.Errorf("ReadAll with limit %d: err = %v, want ErrInvalidArgument", limit, err)
		}
	}
	reads := []struct {
		name   string
		stream string
		dir    events.Direction
		limit  int
	}{
		{"limit 0", "s", events.Forward, 0},
		{"limit -1", "s", events.Backward, -1},
		{"empty stream name", "", events.Forward, 10},
		{"empty stream name backward", "", events.Backward, 10},
		{"NUL in stream name", "s\x00", events.Forward, 10},
		{"stream name not UTF-8", "s\xff", events.Forward, 10},
		{"stream name too long", strings.Repeat("s", events.MaxStreamNameLength+1), events.Forward, 10},
		{"unknown direction", "s", events.Direction(7), 10},
		{"unknown direction, absent stream", "absent", events.Direction(7), 10},
	}
	for _, tc := range reads {
		if _, err := s.ReadStream(ctx, tc.stream, 1, tc.dir, tc.limit); !errors.Is(err, events.ErrInvalidArgument) {
			t.Errorf("ReadStream with %s: err = %v, want ErrInvalidArgument", tc.name, err)
		}
	}
	if ss, ok := s.(events.SnapshotStore); ok {
		if _, err := ss.LoadSnapshot(ctx, ""); !errors.Is(err, events.ErrInvalidArgument) {
			t.Errorf("LoadSnapshot of the empty stream name: err = %v, want ErrInvalidArgument", err)
		}
	}
}

func testHashChain(t *testing.T, s events.Store) {
	MustAppend(t, s, "chain", events.NoStream(), NewEvents(t, "chain", 1))
	MustAppend(t, s, "interleaved", events.NoStream(), NewEvents(t, "interleaved", 2))
	MustAppend(t, s, "chain", events.Exact(1), NewEvents(t, "chain", 3))
	MustAppend(t, s, "chain", events.Any(), NewEvents(t, "chain", 2))
	got := readStream(t, s, "chain")
	if len(got) != 6 {
		t.Fatalf("chain has %d events, want 6", len(got))
	}
	if err := events.VerifyChain(got); err != nil {
		t.Fatalf("VerifyChain: %v", err)
	}
	if want := events.ChainHash(events.Hash{}, &got[0]); got[0].Hash != want {
		t.Errorf("first hash %s, want %s", got[0].Hash, want)
	}
	tampered := append([]events.Envelope(nil), got...)
	tampered[3].Payload = []byte("tampered")
	var chainErr *events.ChainError
	if err := events.VerifyChain(tampered); !errors.As(err, &chainErr) || chainErr.Version != 4 {
		t.Errorf("VerifyChain on a tampered payload = %v, want a ChainError at version 4", err)
	}
}
