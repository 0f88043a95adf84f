package pebblestore

import (
	"context"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ScanStored calls fn with the hivev1.StoredEvent encoding of every event
// after position after, in position order, up to the committed head: the
// bytes as stored, without decoding them, for a binary export. raw is
// valid only during the call. The scan stops at fn's first error, which it
// returns.
func (s *Store) ScanStored(ctx context.Context, after uint64, fn func(pos uint64, raw []byte) error) (err error) {
	defer recoverFatal(s, &err)
	if _, err := s.beginRead(ctx, 1); err != nil {
		return err
	}
	defer s.dbMu.RUnlock()
	head := s.head.Load()
	if after >= head {
		return nil
	}
	lower, upper := logKey(after+1), logKey(head+1)
	it, err := s.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: lower[:], UpperBound: upper[:]})
	if err != nil {
		return fmt.Errorf("pebblestore: scan: %w", err)
	}
	defer closeIter(it, &err)
	next := after + 1
	for ok := it.First(); ok; ok = it.Next() {
		pos, kok := logKeyPosition(it.Key())
		if !kok || pos != next {
			return fmt.Errorf("%w: log key %x where position %d was expected", ErrCorrupt, it.Key(), next)
		}
		v, err := it.ValueAndErr()
		if err != nil {
			return fmt.Errorf("pebblestore: read position %d: %w", pos, err)
		}
		if err := fn(pos, v); err != nil {
			return err
		}
		next++
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("pebblestore: scan: %w", err)
	}
	if next != head+1 {
		return fmt.Errorf("%w: log ends at position %d, before the head %d", ErrCorrupt, next-1, head)
	}
	return nil
}
