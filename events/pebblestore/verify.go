package pebblestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"

	"github.com/cockroachdb/pebble/v2"

	"hive/events"
)

// Checked is what Verify went through.
type Checked struct {
	// Events is how many events the log holds, and Streams how many
	// streams.
	Events  uint64
	Streams int
}

// Verify checks the whole store, as it is at the call, in three scans:
//
//   - the global log: positions dense from 1, each record holding the
//     position of its key, and every stream's versions dense and hash chain
//     linked (events.Verifier);
//   - the stream index: each stream's versions dense from 1, up to the
//     version the log reached, and every entry pointing at the event of
//     that stream and version;
//   - the event-id index: every entry pointing at the event with that id.
//
// The scans meet through order-independent digests of (stream, version,
// position) and (id, position), so memory stays one entry per stream; only
// when a digest disagrees are the index entries looked up one by one, to
// name the first bad one. The first problem is returned: a
// *events.ChainError naming the stream and version when one is known,
// else an error wrapping ErrCorrupt naming the position.
func (s *Store) Verify(ctx context.Context) (Checked, error) {
	if _, err := s.beginRead(ctx, 1); err != nil {
		return Checked{}, err
	}
	defer s.dbMu.RUnlock()
	snap := s.db.NewSnapshot()
	defer snap.Close()
	c := &check{r: snap, v: events.NewVerifier(), seed: maphash.MakeSeed()}
	err := c.log(ctx)
	if err == nil {
		err = c.streamIndex(ctx)
	}
	if err == nil {
		err = c.idIndex(ctx)
	}
	if err == nil && c.gap != 0 {
		err = fmt.Errorf("%w: position %d is missing from the log, and no stream names it", ErrCorrupt, c.gap)
	}
	return Checked{Events: c.v.Events(), Streams: c.v.Streams()}, err
}

// check is the state of one Verify.
type check struct {
	r    pebble.Reader
	v    *events.Verifier
	dec  decoder
	seed maphash.Seed
	// gap is the first position missing from the log, 0 if none.
	gap uint64
	// streams and ids are the digests of the log's events, which the
	// index scans must reproduce.
	streams, ids uint64
}

// mix is a 64-bit finalizer (splitmix64's): digests sum mixed values so
// that the order of the scan does not matter.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}

func entryDigest(name, version, pos uint64) uint64 {
	return mix(name ^ mix(version^mix(pos)))
}

func idDigest(id []byte, pos uint64) uint64 {
	return mix(binary.LittleEndian.Uint64(id[:8]) ^ mix(binary.LittleEndian.Uint64(id[8:])^mix(pos)))
}

// log scans the global log.
func (c *check) log(ctx context.Context) (err error) {
	it, err := c.r.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{prefixLog}, UpperBound: []byte{prefixLog + 1}})
	if err != nil {
		return fmt.Errorf("pebblestore: verify the log: %w", err)
	}
	defer closeIter(it, &err)
	var last uint64
	var e events.Envelope
	for ok := it.First(); ok; ok = it.Next() {
		pos, kok := logKeyPosition(it.Key())
		if !kok {
			return fmt.Errorf("%w: log key %x", ErrCorrupt, it.Key())
		}
		if pos != last+1 && c.gap == 0 {
			c.gap = last + 1
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("pebblestore: read position %d: %w", pos, err)
		}
		e = events.Envelope{}
		if err := c.dec.fill(v, pos, &e); err != nil {
			return err
		}
		if e.Position != pos {
			return &events.ChainError{Stream: e.Stream, Version: e.Version,
				Reason: fmt.Sprintf("stored at position %d but records position %d", pos, e.Position)}
		}
		if err := c.v.Add(&e); err != nil {
			return err
		}
		c.streams += entryDigest(maphash.String(c.seed, e.Stream), e.Version, pos)
		c.ids += idDigest(e.ID[:], pos)
		last = pos
	}
	return it.Error()
}

// streamIndex scans the stream index.
func (c *check) streamIndex(ctx context.Context) (err error) {
	it, err := c.r.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{prefixStream}, UpperBound: []byte{prefixStream + 1}})
	if err != nil {
		return fmt.Errorf("pebblestore: verify the stream index: %w", err)
	}
	defer closeIter(it, &err)
	var (
		name          []byte
		stream        string
		nameHash      uint64
		next          uint64
		digest, count uint64
		streams       int
	)
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		version, vok := streamKeyVersion(k)
		pos, pok := decodePosition(it.Value())
		if !vok || !pok {
			return fmt.Errorf("%w: stream index entry %x", ErrCorrupt, k)
		}
		if !bytes.Equal(k[1:len(k)-9], name) {
			if err := c.streamEnds(stream, next); err != nil {
				return err
			}
			name = append(name[:0], k[1:len(k)-9]...)
			stream, nameHash, next, streams = string(name), maphash.Bytes(c.seed, name), 1, streams+1
		}
		if version != next {
			return &events.ChainError{Stream: stream, Version: next, Reason: fmt.Sprintf("the stream index has version %d next", version)}
		}
		digest += entryDigest(nameHash, version, pos)
		count++
		next++
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("pebblestore: verify the stream index: %w", err)
	}
	if err := c.streamEnds(stream, next); err != nil {
		return err
	}
	if digest != c.streams || count != c.v.Events() || streams != c.v.Streams() {
		return c.findStreamEntry(ctx)
	}
	return nil
}

// streamEnds checks that the index of stream, ending before version next,
// reaches the version of the log.
func (c *check) streamEnds(stream string, next uint64) error {
	if stream == "" {
		return nil
	}
	switch logged := c.v.Version(stream); {
	case logged == 0:
		return &events.ChainError{Stream: stream, Version: 1, Reason: "in the stream index but not in the log"}
	case next-1 < logged:
		return &events.ChainError{Stream: stream, Version: next, Reason: "in the log but missing from the stream index"}
	case next-1 > logged:
		return &events.ChainError{Stream: stream, Version: logged + 1, Reason: "in the stream index but missing from the log"}
	}
	return nil
}

// findStreamEntry looks up every stream index entry's event, to name the
// first that points at the wrong one.
func (c *check) findStreamEntry(ctx context.Context) (err error) {
	it, err := c.r.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{prefixStream}, UpperBound: []byte{prefixStream + 1}})
	if err != nil {
		return fmt.Errorf("pebblestore: verify the stream index: %w", err)
	}
	defer closeIter(it, &err)
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		stream := string(k[1 : len(k)-9])
		version, _ := streamKeyVersion(k)
		pos, _ := decodePosition(it.Value())
		e, err := c.event(pos)
		if err != nil || e.Stream != stream || e.Version != version {
			return &events.ChainError{Stream: stream, Version: version, Reason: fmt.Sprintf("the stream index points at position %d, %s", pos, holds(e, err))}
		}
	}
	return errors.Join(fmt.Errorf("%w: the stream index does not match the log", ErrCorrupt), it.Error())
}

// idIndex scans the event-id index.
func (c *check) idIndex(ctx context.Context) (err error) {
	it, err := c.r.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{prefixID}, UpperBound: []byte{prefixID + 1}})
	if err != nil {
		return fmt.Errorf("pebblestore: verify the id index: %w", err)
	}
	defer closeIter(it, &err)
	var digest, count uint64
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		pos, pok := decodePosition(it.Value())
		if len(k) != idKeyLen || !pok {
			return fmt.Errorf("%w: id index entry %x", ErrCorrupt, k)
		}
		digest += idDigest(k[1:], pos)
		count++
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("pebblestore: verify the id index: %w", err)
	}
	if digest != c.ids || count != c.v.Events() {
		return c.findIDEntry(ctx)
	}
	return nil
}

// findIDEntry looks up every event's id index entry, to name the first
// event the index misses or misplaces.
func (c *check) findIDEntry(ctx context.Context) (err error) {
	it, err := c.r.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{prefixLog}, UpperBound: []byte{prefixLog + 1}})
	if err != nil {
		return fmt.Errorf("pebblestore: verify the id index: %w", err)
	}
	defer closeIter(it, &err)
	var e events.Envelope
	for ok := it.First(); ok; ok = it.Next() {
		pos, _ := logKeyPosition(it.Key())
		e = events.Envelope{}
		if err := c.dec.fill(it.Value(), pos, &e); err != nil {
			return err
		}
		k := idKey(e.ID)
		v, closer, err := c.r.Get(k[:])
		if err != nil {
			return &events.ChainError{Stream: e.Stream, Version: e.Version, Reason: fmt.Sprintf("id %s is missing from the id index (%v)", e.ID, err)}
		}
		got, ok := decodePosition(v)
		if cerr := closer.Close(); cerr != nil {
			return fmt.Errorf("pebblestore: verify the id index: %w", cerr)
		}
		if !ok || got != pos {
			return &events.ChainError{Stream: e.Stream, Version: e.Version, Reason: fmt.Sprintf("the id index puts id %s at position %d", e.ID, got)}
		}
	}
	return errors.Join(fmt.Errorf("%w: the id index has entries of no event", ErrCorrupt), it.Error())
}

// event reads the event at pos.
func (c *check) event(pos uint64) (events.Envelope, error) {
	k := logKey(pos)
	v, closer, err := c.r.Get(k[:])
	if err != nil {
		return events.Envelope{}, err
	}
	var e events.Envelope
	err = c.dec.fill(v, pos, &e)
	return e, errors.Join(err, closer.Close())
}

// holds says what an index entry found at its position.
func holds(e events.Envelope, err error) string {
	if errors.Is(err, pebble.ErrNotFound) {
		return "which is missing"
	}
	if err != nil {
		return fmt.Sprintf("which cannot be read: %v", err)
	}
	return fmt.Sprintf("which holds %q version %d", e.Stream, e.Version)
}
