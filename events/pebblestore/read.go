package pebblestore

import (
	"bytes"
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"

	"hive/events"
)

// beginRead checks a read's limit and context and, unless it fails, returns
// with dbMu held shared and the store open.
func (s *Store) beginRead(ctx context.Context, limit int) (int, error) {
	limit, err := events.ClampLimit(limit)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.dbMu.RLock()
	if s.closed {
		s.dbMu.RUnlock()
		return 0, events.ErrClosed
	}
	return limit, nil
}

// ReadAll implements events.Store. It scans the global log from after+1 up
// to the committed head. Positions are dense, so the page is allocated at
// its exact size.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) (out []events.Envelope, err error) {
	defer recoverFatal(s, &err)
	if limit, err = s.beginRead(ctx, limit); err != nil {
		return nil, err
	}
	defer s.dbMu.RUnlock()
	head := s.head.Load()
	if after >= head {
		return nil, nil
	}
	n := int(min(uint64(limit), head-after))
	lower, upper := logKey(after+1), logKey(after+uint64(n)+1)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower[:], UpperBound: upper[:]})
	if err != nil {
		return nil, fmt.Errorf("pebblestore: read all: %w", err)
	}
	defer func() {
		if closeIter(it, &err); err != nil {
			out = nil
		}
	}()
	out = make([]events.Envelope, 0, n)
	var dec decoder
	for ok := it.First(); ok; ok = it.Next() {
		pos, kok := logKeyPosition(it.Key())
		v, err := it.ValueAndErr()
		if err != nil {
			return nil, fmt.Errorf("pebblestore: read position %d: %w", pos, err)
		}
		if !kok || pos != after+uint64(len(out))+1 {
			return nil, fmt.Errorf("%w: log key %x where position %d was expected", ErrCorrupt, it.Key(), after+uint64(len(out))+1)
		}
		out = out[:len(out)+1]
		if err := dec.decode(v, pos, &out[len(out)-1]); err != nil {
			return nil, err
		}
	}
	if len(out) != n && it.Error() == nil {
		return nil, fmt.Errorf("%w: log ends at position %d, before the head %d", ErrCorrupt, after+uint64(len(out)), head)
	}
	return out, nil
}

// ReadStream implements events.Store. It walks the stream's index entries
// and reads each event from the global log, ignoring entries beyond the
// committed head.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) (out []events.Envelope, err error) {
	defer recoverFatal(s, &err)
	if err := events.ValidateStreamRead(stream, dir); err != nil {
		return nil, err
	}
	if limit, err = s.beginRead(ctx, limit); err != nil {
		return nil, err
	}
	defer s.dbMu.RUnlock()
	r, err := newStreamReader(ctx, s.db, stream, s.head.Load())
	if err != nil {
		return nil, err
	}
	defer func() {
		if r.close(&err); err != nil {
			out = nil
		}
	}()
	if !r.exists() {
		if err := r.idx.Error(); err != nil {
			return nil, fmt.Errorf("pebblestore: read %q: %w", stream, err)
		}
		return nil, fmt.Errorf("%w: %q", events.ErrStreamNotFound, stream)
	}
	if dir == events.Backward {
		return r.backward(from, limit)
	}
	return r.forward(max(from, 1), limit)
}

// streamReader reads one stream: an iterator over its index, and one over
// the global log for the events the index points at, opened on first use
// (so that looking for a stream that does not exist, as every new entity
// does, costs one iterator).
type streamReader struct {
	stream  string
	head    uint64
	lower   []byte // the stream's index prefix
	idx     *pebble.Iterator
	log     *pebble.Iterator
	openLog func() (*pebble.Iterator, error)
	dec     decoder
}

func newStreamReader(ctx context.Context, db *pebble.DB, stream string, head uint64) (*streamReader, error) {
	lower, upper := streamBounds(stream)
	idx, err := db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, fmt.Errorf("pebblestore: read %q: %w", stream, err)
	}
	openLog := func() (*pebble.Iterator, error) {
		logLower, logUpper := logKey(1), logKey(head+1)
		it, err := db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: logLower[:], UpperBound: logUpper[:]})
		if err != nil {
			return nil, fmt.Errorf("pebblestore: read %q: %w", stream, err)
		}
		return it, nil
	}
	return &streamReader{stream: stream, head: head, lower: lower, idx: idx, openLog: openLog}, nil
}

func (r *streamReader) close(err *error) {
	closeIter(r.idx, err)
	if r.log != nil {
		closeIter(r.log, err)
	}
}

// exists reports whether the stream's first event is committed.
func (r *streamReader) exists() bool {
	return r.idx.First() && r.position() <= r.head
}

// position is the position the current index entry points at, or a value
// past every head if the entry is malformed (load then reports it).
func (r *streamReader) position() uint64 {
	pos, ok := decodePosition(r.idx.Value())
	if !ok {
		return ^uint64(0)
	}
	return pos
}

func (r *streamReader) forward(from uint64, limit int) ([]events.Envelope, error) {
	var out []events.Envelope
	key := appendStreamKey(nil, r.stream, from)
	for ok := r.idx.SeekGE(key); ok && len(out) < limit; ok = r.idx.Next() {
		if r.position() > r.head {
			break // uncommitted: only ever at the stream's end
		}
		var err error
		if out, err = r.load(out); err != nil {
			return nil, err
		}
	}
	return out, r.iterErr()
}

func (r *streamReader) backward(from uint64, limit int) ([]events.Envelope, error) {
	var ok bool
	if from == events.End {
		ok = r.idx.Last()
	} else {
		ok = r.idx.SeekLT(appendStreamKey(nil, r.stream, from+1))
	}
	for ok && r.position() > r.head {
		ok = r.idx.Prev() // skip the uncommitted end of the stream
	}
	var out []events.Envelope
	for ; ok && len(out) < limit; ok = r.idx.Prev() {
		var err error
		if out, err = r.load(out); err != nil {
			return nil, err
		}
	}
	return out, r.iterErr()
}

// load appends the event the current index entry points at.
func (r *streamReader) load(out []events.Envelope) ([]events.Envelope, error) {
	version, vok := streamKeyVersion(r.idx.Key())
	pos, pok := decodePosition(r.idx.Value())
	if !vok || !pok || !bytes.HasPrefix(r.idx.Key(), r.lower) {
		return nil, fmt.Errorf("%w: stream index entry %x", ErrCorrupt, r.idx.Key())
	}
	if r.log == nil {
		var err error
		if r.log, err = r.openLog(); err != nil {
			return nil, err
		}
	}
	k := logKey(pos)
	if !r.log.SeekGE(k[:]) || !bytes.Equal(r.log.Key(), k[:]) {
		if err := r.log.Error(); err != nil {
			return nil, fmt.Errorf("pebblestore: read position %d: %w", pos, err)
		}
		return nil, fmt.Errorf("%w: %q version %d points at missing position %d", ErrCorrupt, r.stream, version, pos)
	}
	v, err := r.log.ValueAndErr()
	if err != nil {
		return nil, fmt.Errorf("pebblestore: read position %d: %w", pos, err)
	}
	out = append(out, events.Envelope{})
	e := &out[len(out)-1]
	if err := r.dec.decode(v, pos, e); err != nil {
		return nil, err
	}
	if e.Stream != r.stream || e.Version != version {
		return nil, fmt.Errorf("%w: %q version %d points at %s version %d", ErrCorrupt, r.stream, version, e.Stream, e.Version)
	}
	return out, nil
}

func (r *streamReader) iterErr() error {
	if err := r.idx.Error(); err != nil {
		return fmt.Errorf("pebblestore: read %q: %w", r.stream, err)
	}
	return nil
}

// joinIterClose closes it after err, keeping err.
func joinIterClose(err error, it *pebble.Iterator) error {
	_ = it.Close() // err already says why the read failed
	return err
}
