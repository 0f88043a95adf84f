package events

import (
	"fmt"

	"github.com/google/uuid"
)

// Location is where a stored event is.
type Location struct {
	Stream   string
	Version  uint64
	Position uint64
}

// Locator finds a stored event by id; found is false if it is not stored.
type Locator func(id uuid.UUID) (loc Location, found bool, err error)

// CheckReplay decides whether an append of evs to stream repeats an earlier
// one. If none of the ids is stored it returns (nil, nil): append normally.
// If all are stored, in stream, at consecutive versions and in order, it
// returns the original result: append nothing. Any other mix fails with
// ErrDuplicateEventID. Stores call it under their write lock, and also
// consult the events of the batch being built, which locate must include.
func CheckReplay(stream string, evs []Event, locate Locator) (*AppendResult, error) {
	var first, last Location
	found := 0
	for i := range evs {
		loc, ok, err := locate(evs[i].ID)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if found == 0 {
			first = loc
		}
		if found != i || loc.Stream != stream || loc.Version != first.Version+uint64(i) {
			return nil, fmt.Errorf("%w: event %s is already stored as %s version %d", ErrDuplicateEventID, evs[i].ID, loc.Stream, loc.Version)
		}
		last = loc
		found++
	}
	switch found {
	case 0:
		return nil, nil
	case len(evs):
		return &AppendResult{LastVersion: last.Version, LastPosition: last.Position}, nil
	default:
		return nil, fmt.Errorf("%w: event %s is new but earlier events of the append are stored", ErrDuplicateEventID, evs[found].ID)
	}
}
