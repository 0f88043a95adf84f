package archive

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"

	"hive/events"
)

// ErrTruncated: an archive ends without its trailer, so events may be
// missing from its end.
var ErrTruncated = errors.New("missing trailer: the archive is truncated")

// ErrTrailer: an archive's trailer disagrees with its events (some were
// removed, added or changed), or something follows the trailer.
var ErrTrailer = errors.New("trailer")

// Trailer ends every archive: what its writer wrote, so that a reader
// notices events removed from anywhere, including the end of a stream or
// of the file, which the hash chains alone cannot show.
type Trailer struct {
	// Events is how many events the archive holds.
	Events uint64
	// LastPosition is the position of its last event, 0 if none.
	LastPosition uint64
	// Digest is the SHA-256 over the events' hashes, in order.
	Digest events.Hash
}

// tally builds the Trailer of the events written or read so far.
type tally struct {
	events uint64
	last   uint64
	h      hash.Hash
}

func newTally() *tally { return &tally{h: sha256.New()} }

// add counts the event at position pos with hash h.
func (t *tally) add(pos uint64, h *events.Hash) {
	t.events++
	t.last = pos
	t.h.Write(h[:])
}

// trailer returns the Trailer of what add has seen.
func (t *tally) trailer() Trailer {
	tr := Trailer{Events: t.events, LastPosition: t.last}
	t.h.Sum(tr.Digest[:0])
	return tr
}

// check returns an ErrTrailer error unless got, the archive's trailer, is
// the trailer of what was read.
func (t *tally) check(got Trailer) error {
	want := t.trailer()
	switch {
	case got.Events != want.Events:
		return fmt.Errorf("%w: it says %d events, the archive has %d", ErrTrailer, got.Events, want.Events)
	case got.LastPosition != want.LastPosition:
		return fmt.Errorf("%w: it says the last position is %d, the archive's is %d", ErrTrailer, got.LastPosition, want.LastPosition)
	case got.Digest != want.Digest:
		return fmt.Errorf("%w: its digest does not match the events' hashes", ErrTrailer)
	}
	return nil
}
