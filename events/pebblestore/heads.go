package pebblestore

import (
	"errors"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble/v2"

	"hive/events"
)

// streamHead is what an append needs to know of its stream: the current
// version (0 if the stream does not exist) and the hash of its last event.
type streamHead struct {
	version uint64
	hash    events.Hash
}

// headCache holds committed stream heads for the writer, which alone uses
// it. It holds at most limit streams; when full, it forgets an arbitrary one
// (Go's map order), which costs that stream one index seek if it appends
// again.
type headCache struct {
	limit int
	m     map[string]streamHead
}

func newHeadCache(limit int) *headCache {
	return &headCache{limit: limit, m: make(map[string]streamHead, min(limit, 1024))}
}

func (c *headCache) get(stream string) (streamHead, bool) {
	h, ok := c.m[stream]
	return h, ok
}

func (c *headCache) put(stream string, h streamHead) {
	if _, ok := c.m[stream]; !ok && len(c.m) >= c.limit {
		for victim := range c.m {
			delete(c.m, victim)
			break
		}
	}
	c.m[stream] = h
}

// loadStreamHead reads stream's committed head from pebble: the last entry
// of its index, and the hash of the event it points to. Most streams it is
// asked about are new (every new entity's first append), so it first looks
// for the stream's version 1 with a point lookup, which Bloom filters answer
// cheaply, and only seeks for the last entry of a stream that exists.
func loadStreamHead(db *pebble.DB, dec *decoder, stream string) (h streamHead, err error) {
	_, closer, err := db.Get(appendStreamKey(nil, stream, 1))
	if errors.Is(err, pebble.ErrNotFound) {
		return streamHead{}, nil
	}
	if err != nil {
		return streamHead{}, fmt.Errorf("pebblestore: load head of %q: %w", stream, err)
	}
	if err := closer.Close(); err != nil {
		return streamHead{}, fmt.Errorf("pebblestore: load head of %q: %w", stream, err)
	}
	lower, upper := streamBounds(stream)
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return streamHead{}, fmt.Errorf("pebblestore: load head of %q: %w", stream, err)
	}
	defer closeIter(it, &err)
	if !it.Last() {
		return streamHead{}, nil
	}
	version, vok := streamKeyVersion(it.Key())
	pos, pok := decodePosition(it.Value())
	if !vok || !pok {
		return streamHead{}, fmt.Errorf("%w: stream index entry %x", ErrCorrupt, it.Key())
	}
	var e events.Envelope
	if err := getEvent(db, dec, pos, &e); err != nil {
		return streamHead{}, err
	}
	if e.Stream != stream || e.Version != version {
		return streamHead{}, fmt.Errorf("%w: index of %q version %d points at %s version %d", ErrCorrupt, stream, version, e.Stream, e.Version)
	}
	return streamHead{version: version, hash: e.Hash}, nil
}

// getEvent reads the event at pos with a point lookup.
func getEvent(db *pebble.DB, dec *decoder, pos uint64, e *events.Envelope) error {
	k := logKey(pos)
	v, closer, err := db.Get(k[:])
	if errors.Is(err, pebble.ErrNotFound) {
		return fmt.Errorf("%w: no event at indexed position %d", ErrCorrupt, pos)
	}
	if err != nil {
		return fmt.Errorf("pebblestore: read position %d: %w", pos, err)
	}
	err = dec.decode(v, pos, e)
	return errors.Join(err, closer.Close())
}

// closeIter closes it, reporting its error into *err unless *err is set.
func closeIter(it io.Closer, err *error) {
	if cerr := it.Close(); cerr != nil && *err == nil {
		*err = fmt.Errorf("pebblestore: iterator: %w", cerr)
	}
}
