package pebblestore

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"sync"

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
// else an error wrapping ErrCorrupt naming the position. If a read-only
// open found the log short of its head mark, that *LogLossError (see
// OpenReadOnly) is joined to the outcome.
func (s *Store) Verify(ctx context.Context) (_ Checked, err error) {
	defer recoverFatal(s, &err)
	if _, err := s.beginRead(ctx, 1); err != nil {
		return Checked{}, err
	}
	defer s.dbMu.RUnlock()
	snap := s.db.NewSnapshot()
	defer snap.Close()
	c := &check{r: snap, v: events.NewVerifier(), seed: maphash.MakeSeed()}
	// The two index scans run side by side after the log scan (beside
	// it, they would slow the log scan, the longest, down more); their
	// findings are then compared with the log's.
	err = c.log(ctx)
	var streams streamIndexScan
	var ids idIndexScan
	var wg sync.WaitGroup
	wg.Go(func() {
		defer recoverFatal(s, &streams.err)
		streams = c.scanStreamIndex(ctx)
	})
	wg.Go(func() {
		defer recoverFatal(s, &ids.err)
		ids = c.scanIDIndex(ctx)
	})
	wg.Wait()
	if err == nil {
		err = c.streamIndex(ctx, &streams)
	}
	if err == nil {
		err = c.idIndex(ctx, &ids)
	}
	if err == nil && c.gap != 0 {
		err = fmt.Errorf("%w: position %d is missing from the log, and no stream names it", ErrCorrupt, c.gap)
	}
	return Checked{Events: c.v.Events(), Streams: c.v.Streams()}, errors.Join(err, s.lost)
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

// linkBatch is how many events the log scan hands a hash worker at once.
const linkBatch = 512

// link is an event and the hash it must link to, for a hash worker.
type link struct {
	prev events.Hash
	e    events.Envelope
}

// log scans the global log. The scan checks positions and versions
// itself (events.Verifier.Sequence) and hands the hash checks and the
// digests, most of the work, to one worker per CPU in batches; it returns
// the problem at the lowest position.
func (c *check) log(ctx context.Context) error {
	workers := runtime.GOMAXPROCS(0)
	jobs, free := make(chan []link, 2*workers), make(chan []link, 4*workers)
	found := make([]linkCheck, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() { found[w] = c.checkLinks(jobs, free) })
	}
	err := c.scanLog(ctx, jobs, free)
	close(jobs)
	wg.Wait()
	first, _ := errors.AsType[*events.ChainError](err)
	if err != nil && first == nil {
		return err // not about one event
	}
	for _, f := range found {
		c.streams += f.streams
		c.ids += f.ids
		if f.first != nil && (first == nil || f.first.Position < first.Position) {
			first = f.first
		}
	}
	if first == nil {
		return nil
	}
	return first
}

// linkCheck is what a hash worker found: the problem at the lowest
// position, and its share of the log's digests.
type linkCheck struct {
	first        *events.ChainError
	streams, ids uint64
}

// checkLinks checks the hashes of the batches from jobs and adds their
// events to the digests, recycling the batches into free.
func (c *check) checkLinks(jobs <-chan []link, free chan<- []link) linkCheck {
	lc := events.NewLinkChecker()
	var out linkCheck
	for batch := range jobs {
		for i := range batch {
			e := &batch[i].e
			if err := lc.Check(&batch[i].prev, e); err != nil && out.first == nil {
				out.first, _ = errors.AsType[*events.ChainError](err)
				out.first.Position = e.Position
			}
			out.streams += entryDigest(maphash.String(c.seed, e.Stream), e.Version, e.Position)
			out.ids += idDigest(e.ID[:], e.Position)
		}
		select {
		case free <- batch[:0]:
		default:
		}
	}
	return out
}

// scanLog reads the log in order, checks positions and versions, and
// sends the events in batches to the hash workers.
func (c *check) scanLog(ctx context.Context, jobs chan<- []link, free chan []link) (err error) {
	it, err := c.r.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{prefixLog}, UpperBound: []byte{prefixLog + 1}})
	if err != nil {
		return fmt.Errorf("pebblestore: verify the log: %w", err)
	}
	defer closeIter(it, &err)
	batch := make([]link, 0, linkBatch)
	defer func() { jobs <- batch }()
	var last uint64
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
		batch = batch[:len(batch)+1]
		l := &batch[len(batch)-1]
		l.e = events.Envelope{}
		if err := c.sequence(v, pos, l); err != nil {
			batch = batch[:len(batch)-1]
			return err
		}
		last = pos
		if len(batch) == linkBatch {
			if err := ctx.Err(); err != nil {
				return err
			}
			jobs <- batch
			select {
			case batch = <-free:
			default:
				batch = make([]link, 0, linkBatch)
			}
		}
	}
	return it.Error()
}

// sequence decodes the record v stored at pos into l and checks its
// position and version.
func (c *check) sequence(v []byte, pos uint64, l *link) error {
	e := &l.e
	if err := c.dec.fill(v, pos, e); err != nil {
		return err
	}
	if e.Position != pos {
		return &events.ChainError{Stream: e.Stream, Version: e.Version, Position: pos,
			Reason: fmt.Sprintf("stored at position %d but records position %d", pos, e.Position)}
	}
	prev, err := c.v.Sequence(e)
	if ce, ok := errors.AsType[*events.ChainError](err); ok {
		ce.Position = pos
		return ce
	}
	l.prev = prev
	return nil
}

// streamIndexScan is what a scan of the stream index found.
type streamIndexScan struct {
	ends          []indexEnd // each stream's last version, in key order
	digest, count uint64
	err           error // the first problem within the index
}

// indexEnd is a stream and the last version the index has of it.
type indexEnd struct {
	stream string
	last   uint64
}

// scanStreamIndex scans the stream index: each stream's versions must be
// dense from 1; the entries go into a digest.
func (c *check) scanStreamIndex(ctx context.Context) (out streamIndexScan) {
	it, err := c.r.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{prefixStream}, UpperBound: []byte{prefixStream + 1}})
	if err != nil {
		out.err = fmt.Errorf("pebblestore: verify the stream index: %w", err)
		return out
	}
	defer closeIter(it, &out.err)
	var name []byte
	var nameHash, next uint64
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		version, vok := streamKeyVersion(k)
		pos, pok := decodePosition(it.Value())
		if !vok || !pok {
			out.err = fmt.Errorf("%w: stream index entry %x", ErrCorrupt, k)
			return out
		}
		if !bytes.Equal(k[1:len(k)-9], name) {
			name = append(name[:0], k[1:len(k)-9]...)
			out.ends = append(out.ends, indexEnd{stream: string(name)})
			nameHash, next = maphash.Bytes(c.seed, name), 1
		}
		end := &out.ends[len(out.ends)-1]
		if version != next {
			out.err = &events.ChainError{Stream: end.stream, Version: next, Reason: fmt.Sprintf("the stream index has version %d next", version)}
			return out
		}
		out.digest += entryDigest(nameHash, version, pos)
		out.count++
		end.last = version
		next++
	}
	if err := it.Error(); err != nil {
		out.err = fmt.Errorf("pebblestore: verify the stream index: %w", err)
	}
	return out
}

// streamIndex compares the stream index scan with the log's.
func (c *check) streamIndex(ctx context.Context, scan *streamIndexScan) error {
	if scan.err != nil {
		return scan.err
	}
	for _, end := range scan.ends {
		if err := c.streamEnds(end.stream, end.last+1); err != nil {
			return err
		}
	}
	if scan.digest != c.streams || scan.count != c.v.Events() || len(scan.ends) != c.v.Streams() {
		return c.findStreamEntry(ctx)
	}
	return nil
}

// streamEnds checks that the index of stream, ending before version next,
// reaches the version of the log.
func (c *check) streamEnds(stream string, next uint64) error {
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

// idIndexScan is what a scan of the event-id index found.
type idIndexScan struct {
	digest, count uint64
	err           error
}

// scanIDIndex scans the event-id index into a digest.
func (c *check) scanIDIndex(ctx context.Context) (out idIndexScan) {
	it, err := c.r.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: []byte{prefixID}, UpperBound: []byte{prefixID + 1}})
	if err != nil {
		out.err = fmt.Errorf("pebblestore: verify the id index: %w", err)
		return out
	}
	defer closeIter(it, &out.err)
	for ok := it.First(); ok; ok = it.Next() {
		k := it.Key()
		pos, pok := decodePosition(it.Value())
		if len(k) != idKeyLen || !pok {
			out.err = fmt.Errorf("%w: id index entry %x", ErrCorrupt, k)
			return out
		}
		out.digest += idDigest(k[1:], pos)
		out.count++
	}
	if err := it.Error(); err != nil {
		out.err = fmt.Errorf("pebblestore: verify the id index: %w", err)
	}
	return out
}

// idIndex compares the id index scan with the log's.
func (c *check) idIndex(ctx context.Context, scan *idIndexScan) error {
	if scan.err != nil {
		return scan.err
	}
	if scan.digest != c.ids || scan.count != c.v.Events() {
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
