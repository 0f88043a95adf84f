package storetest

import (
	"context"
	"errors"
	"testing"

	"hive/events"
)

func versions(envs []events.Envelope) []uint64 {
	out := make([]uint64, len(envs))
	for i, e := range envs {
		out[i] = e.Version
	}
	return out
}

func equalVersions(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func testReadStreamDirections(t *testing.T, s events.Store) {
	MustAppend(t, s, "rs", events.NoStream(), NewEvents(t, "rs", 5))
	tests := []struct {
		name  string
		from  uint64
		dir   events.Direction
		limit int
		want  []uint64
	}{
		{"forward from start", 1, events.Forward, 10, []uint64{1, 2, 3, 4, 5}},
		{"forward from zero", 0, events.Forward, 10, []uint64{1, 2, 3, 4, 5}},
		{"forward from middle", 3, events.Forward, 10, []uint64{3, 4, 5}},
		{"forward limited", 2, events.Forward, 2, []uint64{2, 3}},
		{"forward past the end", 6, events.Forward, 10, []uint64{}},
		{"backward from end", events.End, events.Backward, 10, []uint64{5, 4, 3, 2, 1}},
		{"backward from beyond", 99, events.Backward, 2, []uint64{5, 4}},
		{"backward from middle", 3, events.Backward, 10, []uint64{3, 2, 1}},
		{"backward limited", 4, events.Backward, 1, []uint64{4}},
		{"backward from zero", 0, events.Backward, 10, []uint64{}},
	}
	for _, tc := range tests {
		got, err := s.ReadStream(context.Background(), "rs", tc.from, tc.dir, tc.limit)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if v := versions(got); !equalVersions(v, tc.want) {
			t.Errorf("%s: versions %v, want %v", tc.name, v, tc.want)
		}
	}
}

func testReadStreamNotFound(t *testing.T, s events.Store) {
	MustAppend(t, s, "present", events.NoStream(), NewEvents(t, "present", 1))
	for _, dir := range []events.Direction{events.Forward, events.Backward} {
		_, err := s.ReadStream(context.Background(), "absent", 1, dir, 10)
		if !errors.Is(err, events.ErrStreamNotFound) {
			t.Errorf("direction %d: err = %v, want ErrStreamNotFound", dir, err)
		}
	}
	// A prefix of a stored stream's name is another stream.
	if _, err := s.ReadStream(context.Background(), "pres", 1, events.Forward, 10); !errors.Is(err, events.ErrStreamNotFound) {
		t.Errorf("prefix stream: err = %v, want ErrStreamNotFound", err)
	}
}

func testReadAllPaging(t *testing.T, s events.Store) {
	var appended []events.Event
	for i, stream := range []string{"a", "b", "a", "c", "b", "a"} {
		evs := NewEvents(t, stream, 1+i%3)
		MustAppend(t, s, stream, events.Any(), evs)
		appended = append(appended, evs...)
	}
	for _, size := range []int{1, 3, 7, 1000} {
		var got []events.Envelope
		var after uint64
		for pages := 0; ; pages++ {
			if pages > len(appended)+1 {
				t.Fatalf("page size %d: paging does not end", size)
			}
			page, err := s.ReadAll(context.Background(), after, size)
			if err != nil {
				t.Fatalf("page size %d: %v", size, err)
			}
			if len(page) > size {
				t.Fatalf("page size %d: got a page of %d", size, len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].Position
		}
		if len(got) != len(appended) {
			t.Fatalf("page size %d: read %d events, want %d", size, len(got), len(appended))
		}
		for i := range got {
			if got[i].ID != appended[i].ID {
				t.Fatalf("page size %d: event %d is %s, want %s (append order)", size, i, got[i].ID, appended[i].ID)
			}
			if i > 0 && got[i].Position <= got[i-1].Position {
				t.Fatalf("page size %d: positions not increasing at %d", size, i)
			}
		}
	}
	last := readAll(t, s)
	if page, err := s.ReadAll(context.Background(), last[len(last)-1].Position, 10); err != nil || len(page) != 0 {
		t.Errorf("read after the head = %d events, %v; want none", len(page), err)
	}
}
