package esdbstore

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"

	"hive/events"
)

// TestEventsThatHaveNoHivePosition checks the events whose $all position
// cannot be Hive's position: they fail instead of being delivered at a
// position that could make a reader skip or repeat events.
func TestEventsThatHaveNoHivePosition(t *testing.T) {
	env := events.Envelope{ID: uuid.New(), Stream: "s", Version: 1, Type: "t", RecordedAt: time.Unix(0, 42).UTC(), SchemaVersion: 1, Payload: []byte("p")}
	env.Hash = events.ChainHash(events.Hash{}, &env)
	data, err := toEventData(&env)
	if err != nil {
		t.Fatal(err)
	}
	recorded := func(commit, prepare uint64) *kurrentdb.RecordedEvent {
		return &kurrentdb.RecordedEvent{
			EventID: env.ID, EventType: env.Type, StreamID: "s", EventNumber: 0,
			Position: kurrentdb.Position{Commit: commit, Prepare: prepare}, Data: data.Data, UserMetadata: data.Metadata,
		}
	}
	got, err := fromRecorded(recorded(500, 500), "s")
	if err != nil {
		t.Fatal(err)
	}
	env.Position = 500
	if got.ID != env.ID || got.Position != 500 || got.Hash != env.Hash || !got.RecordedAt.Equal(env.RecordedAt) || events.ChainHash(events.Hash{}, &got) != got.Hash {
		t.Errorf("round trip gave %+v, want %+v", got, env)
	}
	tests := []struct {
		name            string
		commit, prepare uint64
		want            string
		foreign         bool
	}{
		{"explicit transaction: events share a commit", 900, 500, "explicit transaction", true},
		{"stream read of a server before 22.6", math.MaxUint64, math.MaxUint64, "22.6", false},
	}
	for _, tc := range tests {
		_, err := fromRecorded(recorded(tc.commit, tc.prepare), "s")
		if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrForeignEvent) != tc.foreign {
			t.Errorf("%s: err = %v, want one mentioning %q (foreign: %v)", tc.name, err, tc.want, tc.foreign)
		}
	}
}
