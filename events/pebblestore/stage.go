package pebblestore

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/cockroachdb/pebble/v2"
	"github.com/google/uuid"

	"hive/events"
)

// errAbandoned answers a request whose caller has gone; nobody reads it.
var errAbandoned = errors.New("pebblestore: append abandoned by its caller")

// stage checks and stages r, and returns its reply. A request that fails
// its checks gets its own error and stages nothing.
func (w *writer) stage(r *request) reply {
	switch {
	case w.cur.err != nil:
		return reply{err: w.cur.err} // the store has failed
	case r.abandoned.Load():
		return reply{err: errAbandoned}
	}
	if err := w.lookupIDs(r); err != nil {
		return reply{err: err}
	}
	return w.stageRequest(r)
}

// stageRequest checks r against the committed state and the requests
// staged before it, and if it passes, stages its events: versions,
// positions, recorded time (the event's own, or the group's), hash chain
// and encoding. A refused append and an idempotent repeat stage nothing.
func (w *writer) stageRequest(r *request) reply {
	g := w.cur
	prior, err := events.CheckReplay(r.stream, r.evs, w.locate)
	if err != nil {
		return reply{err: err}
	}
	if prior != nil {
		return reply{res: *prior}
	}
	head, err := w.streamHead(r.stream)
	if err != nil {
		return reply{err: err}
	}
	if !r.expected.Allows(head.version) {
		return reply{err: &events.WrongExpectedVersionError{Stream: r.stream, Expected: r.expected, Actual: head.version}}
	}
	last, err := w.encode(r, head)
	if err != nil {
		return reply{err: err}
	}
	if err := w.writeLog(r); err != nil {
		// The batch holds part of the request: stop the store.
		g.err = err
		w.s.fail(err)
		return reply{err: err}
	}
	for i := range r.evs {
		pos, v := g.next+uint64(i), head.version+uint64(i)+1
		g.idIndex = append(g.idIndex, idEntry{id: r.evs[i].ID, pos: pos})
		g.streams = append(g.streams, streamEntry{stream: r.stream, version: v, pos: pos})
		g.ids[r.evs[i].ID] = events.Location{Stream: r.stream, Version: v, Position: pos}
	}
	g.heads[r.stream] = last
	g.lastHash = last.hash
	g.next += uint64(len(r.evs))
	g.appends++
	w.next = g.next
	return reply{res: events.AppendResult{LastVersion: last.version, LastPosition: g.next - 1}}
}

// encode encodes r's events into w.vals, and returns the stream's head
// after them.
func (w *writer) encode(r *request, head streamHead) (streamHead, error) {
	g := w.cur
	w.vals, w.ends = w.vals[:0], w.ends[:0]
	prev := head.hash
	for i := range r.evs {
		ev := &r.evs[i]
		env := events.Envelope{
			ID: ev.ID, Stream: r.stream, Version: head.version + uint64(i) + 1, Position: g.next + uint64(i),
			Type: ev.Type, RecordedAt: w.now, SchemaVersion: ev.SchemaVersion, Payload: ev.Payload,
			Metadata: ev.Metadata,
		}
		if !ev.RecordedAt.IsZero() {
			env.RecordedAt = ev.RecordedAt.UTC()
		}
		env.Hash = events.ChainHash(prev, &env)
		prev = env.Hash
		var err error
		if w.vals, err = w.enc.Append(w.vals, &env); err != nil {
			return streamHead{}, err
		}
		w.ends = append(w.ends, len(w.vals))
	}
	return streamHead{version: head.version + uint64(len(r.evs)), hash: prev}, nil
}

// writeLog puts r's encoded events into the group's batch, at the next
// positions. Log keys only ever grow, so they reach the batch in order.
func (w *writer) writeLog(r *request) error {
	g := w.cur
	if g.batch == nil {
		g.batch = w.db.NewBatch()
	}
	start := 0
	for i, end := range w.ends {
		k := logKey(g.next + uint64(i))
		if err := g.batch.Set(k[:], w.vals[start:end], nil); err != nil {
			return fmt.Errorf("pebblestore: build batch: %w", err)
		}
		start = end
	}
	return nil
}

// fill completes the group's batch with the index entries, each index
// sorted: memtable inserts in key order are much cheaper than in random
// order.
func (w *writer) fill() error {
	g := w.cur
	if g.batch == nil {
		return nil
	}
	slices.SortFunc(g.idIndex, func(a, b idEntry) int { return bytes.Compare(a.id[:], b.id[:]) })
	for _, e := range g.idIndex {
		k, v := idKey(e.id), encodePosition(e.pos)
		if err := g.batch.Set(k[:], v[:], nil); err != nil {
			return fmt.Errorf("pebblestore: build batch: %w", err)
		}
	}
	slices.SortFunc(g.streams, func(a, b streamEntry) int {
		return cmp.Or(strings.Compare(a.stream, b.stream), cmp.Compare(a.version, b.version))
	})
	for _, e := range g.streams {
		w.key = appendStreamKey(w.key[:0], e.stream, e.version)
		v := encodePosition(e.pos)
		if err := g.batch.Set(w.key, v[:], nil); err != nil {
			return fmt.Errorf("pebblestore: build batch: %w", err)
		}
	}
	return nil
}

// streamHead returns stream's head as the staged groups leave it: the
// current group, then the group being committed, then the committed
// cache, then pebble.
func (w *writer) streamHead(stream string) (streamHead, error) {
	if h, ok := w.cur.heads[stream]; ok {
		return h, nil
	}
	if w.inflight != nil {
		if h, ok := w.inflight.heads[stream]; ok {
			return h, nil
		}
	}
	if h, ok := w.heads.get(stream); ok {
		return h, nil
	}
	h, err := loadStreamHead(w.db, &w.dec, stream)
	if err != nil {
		return streamHead{}, err
	}
	w.heads.put(stream, h) // no staged group touches stream, so this is committed
	return h, nil
}

// lookupIDs finds which event ids of r are already in pebble, and at what
// position, before r is staged. It seeks the group's id iterator through
// the ids in sorted order: callers use UUIDv7 ids, which are time-ordered,
// so new ids sort after nearly every stored one, where the iterator already
// stands, and pebble answers without searching again. This replaced a
// point lookup per event, which was the costliest step of staging.
//
// One iterator serves the whole group, although the group before may
// commit meanwhile: the iterator need not see that group's ids, because
// locateID finds them in the group itself first.
func (w *writer) lookupIDs(r *request) error {
	clear(w.stored)
	w.sorted = w.sorted[:0]
	for i := range r.evs {
		w.sorted = append(w.sorted, r.evs[i].ID)
	}
	slices.SortFunc(w.sorted, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	if w.idIter == nil {
		it, err := w.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixID}, UpperBound: []byte{prefixID + 1}})
		if err != nil {
			return fmt.Errorf("pebblestore: look up event ids: %w", err)
		}
		w.idIter = it
	}
	for _, id := range w.sorted {
		k := idKey(id)
		if !w.idIter.SeekGE(k[:]) || !bytes.Equal(w.idIter.Key(), k[:]) {
			continue
		}
		pos, ok := decodePosition(w.idIter.Value())
		if !ok {
			return fmt.Errorf("%w: id index entry of %s", ErrCorrupt, id)
		}
		w.stored[id] = pos
	}
	if err := w.idIter.Error(); err != nil {
		return fmt.Errorf("pebblestore: look up event ids: %w", err)
	}
	return nil
}

// closeIDIter closes the group's id iterator, if it has one.
func (w *writer) closeIDIter() error {
	if w.idIter == nil {
		return nil
	}
	err := w.idIter.Close()
	w.idIter = nil
	if err != nil {
		return fmt.Errorf("pebblestore: look up event ids: %w", err)
	}
	return nil
}

// locateID is the events.Locator of CheckReplay: the current group's
// events, then the group being committed, then what lookupIDs found.
func (w *writer) locateID(id uuid.UUID) (events.Location, bool, error) {
	if loc, ok := w.cur.ids[id]; ok {
		return loc, true, nil
	}
	if w.inflight != nil {
		if loc, ok := w.inflight.ids[id]; ok {
			return loc, true, nil
		}
	}
	pos, ok := w.stored[id]
	if !ok {
		return events.Location{}, false, nil
	}
	var e events.Envelope
	if err := getEvent(w.db, &w.dec, pos, &e); err != nil {
		return events.Location{}, false, err
	}
	return events.Location{Stream: e.Stream, Version: e.Version, Position: pos}, true, nil
}
