package pebblestore

import (
	"errors"
	"fmt"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2"

	"hive/events"
)

// LogLossError: the log does not reach its head mark, the store's own
// record of how far its log went (see Mark): events the store
// acknowledged are missing, or the event at the mark's position is not
// the one recorded. It wraps ErrLogDamaged.
type LogLossError struct {
	// Evidence says where Recorded is known from: the head mark and its
	// file, or the Source of a Config.Evidence.
	Evidence string
	// Recorded is the position the log reached once (and, from the head
	// mark, its hash); Head is where the log ends.
	Recorded Mark
	Head     uint64
	// Replaced is set when the log reaches the mark's position but holds
	// an event with another hash there.
	Replaced bool
}

// Error says how many acknowledged events are missing, or that the event
// at the recorded position was replaced, and which evidence shows it.
func (e *LogLossError) Error() string {
	if e.Replaced {
		return fmt.Sprintf("%v: the event at position %d does not have the hash %s that %s records for it: the log was replaced",
			ErrLogDamaged, e.Recorded.Position, e.Recorded.Hash, e.Evidence)
	}
	return fmt.Sprintf("%v: the log ends at position %d, but %s records position %d as acknowledged: %d acknowledged events are missing",
		ErrLogDamaged, e.Head, e.Evidence, e.Recorded.Position, e.Missing())
}

// Missing is how many acknowledged events the log lacks.
func (e *LogLossError) Missing() uint64 {
	if e.Replaced || e.Head >= e.Recorded.Position {
		return 0
	}
	return e.Recorded.Position - e.Head
}

// Is makes a LogLossError match ErrLogDamaged.
func (e *LogLossError) Is(target error) bool { return target == ErrLogDamaged }

// checkMark compares the log in db, whose head is head, with the mark
// recorded in dir: a *LogLossError if the log falls short of it.
func checkMark(db pebble.Reader, dir string, head uint64, recorded Mark) error {
	lost := &LogLossError{Evidence: "the head mark " + filepath.Join(dir, MarkFile), Recorded: recorded, Head: head}
	if head < recorded.Position {
		return lost
	}
	if recorded.Position == 0 {
		return nil
	}
	at, err := markAt(db, recorded.Position)
	if err != nil {
		return err
	}
	if at.Hash != recorded.Hash {
		lost.Replaced = true
		return lost
	}
	return nil
}

// checkEvidence returns a *LogLossError for the furthest evidence beyond
// head, the end of the log, if any.
func checkEvidence(evidence []Evidence, head uint64) error {
	var lost *LogLossError
	for _, e := range evidence {
		if e.Position > head && (lost == nil || e.Position > lost.Recorded.Position) {
			lost = &LogLossError{Evidence: e.Source, Recorded: Mark{Position: e.Position}, Head: head}
		}
	}
	if lost == nil {
		return nil
	}
	return lost
}

// markAt returns the mark of the event at position pos of the log in db:
// its position and hash. Position 0 is the empty log's.
func markAt(db pebble.Reader, pos uint64) (Mark, error) {
	if pos == 0 {
		return Mark{}, nil
	}
	k := logKey(pos)
	v, closer, err := db.Get(k[:])
	if errors.Is(err, pebble.ErrNotFound) {
		return Mark{}, fmt.Errorf("%w: no event at position %d, below the head", ErrCorrupt, pos)
	}
	if err != nil {
		return Mark{}, fmt.Errorf("pebblestore: read position %d: %w", pos, err)
	}
	defer closer.Close()
	var d decoder
	var e events.Envelope
	if err := d.decode(v, pos, &e); err != nil {
		return Mark{}, err
	}
	return Mark{Position: pos, Hash: e.Hash}, nil
}
