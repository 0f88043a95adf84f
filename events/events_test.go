package events_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"hive/events"
)

func TestExpectedVersionAllows(t *testing.T) {
	tests := []struct {
		exp     events.ExpectedVersion
		current uint64
		want    bool
	}{
		{events.Any(), 0, true},
		{events.Any(), 7, true},
		{events.NoStream(), 0, true},
		{events.NoStream(), 1, false},
		{events.StreamExists(), 0, false},
		{events.StreamExists(), 3, true},
		{events.Exact(0), 0, true},
		{events.Exact(3), 3, true},
		{events.Exact(3), 2, false},
		{events.Exact(3), 4, false},
	}
	for _, tc := range tests {
		if got := tc.exp.Allows(tc.current); got != tc.want {
			t.Errorf("%s allows %d = %v, want %v", tc.exp, tc.current, got, tc.want)
		}
	}
}

func chain(n int) []events.Envelope {
	var prev events.Hash
	out := make([]events.Envelope, n)
	for i := range out {
		out[i] = events.Envelope{ID: uuid.New(), Stream: "s", Version: uint64(i + 1), Type: "t",
			RecordedAt: time.Unix(int64(i), 0), Payload: []byte{byte(i)}}
		out[i].Hash = events.ChainHash(prev, &out[i])
		prev = out[i].Hash
	}
	return out
}

func TestVerifyChainNamesTheFirstBadEvent(t *testing.T) {
	tests := []struct {
		name    string
		tamper  func([]events.Envelope) []events.Envelope
		version uint64
	}{
		{"flipped payload byte", func(e []events.Envelope) []events.Envelope { e[2].Payload = []byte{99}; return e }, 3},
		{"changed principal", func(e []events.Envelope) []events.Envelope { e[1].Principal = "mallory"; return e }, 2},
		{"deleted event", func(e []events.Envelope) []events.Envelope { return append(e[:1], e[2:]...) }, 2},
		{"reordered events", func(e []events.Envelope) []events.Envelope { e[1], e[2] = e[2], e[1]; return e }, 2},
		{"changed time", func(e []events.Envelope) []events.Envelope { e[3].RecordedAt = time.Unix(1, 1); return e }, 4},
	}
	if err := events.VerifyChain(chain(5)); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	for _, tc := range tests {
		err := events.VerifyChain(tc.tamper(chain(5)))
		var ce *events.ChainError
		if !errors.As(err, &ce) || ce.Version != tc.version {
			t.Errorf("%s: %v, want a ChainError at version %d", tc.name, err, tc.version)
		}
	}
}

func TestCheckReplay(t *testing.T) {
	a, b := events.Event{ID: uuid.New()}, events.Event{ID: uuid.New()}
	stored := map[uuid.UUID]events.Location{
		a.ID: {Stream: "s", Version: 4, Position: 40},
		b.ID: {Stream: "s", Version: 5, Position: 41},
	}
	locate := func(id uuid.UUID) (events.Location, bool, error) {
		l, ok := stored[id]
		return l, ok, nil
	}
	res, err := events.CheckReplay("s", []events.Event{a, b}, locate)
	if err != nil || res == nil || res.LastVersion != 5 || res.LastPosition != 41 {
		t.Fatalf("full replay = %+v, %v", res, err)
	}
	if res, err := events.CheckReplay("s", []events.Event{{ID: uuid.New()}}, locate); res != nil || err != nil {
		t.Fatalf("new events = %+v, %v", res, err)
	}
	if _, err := events.CheckReplay("other", []events.Event{a}, locate); !errors.Is(err, events.ErrDuplicateEventID) {
		t.Fatalf("replay into another stream = %v", err)
	}
}
