package pebblestore

import (
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"google.golang.org/protobuf/proto"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

var _ events.SnapshotStore = (*Store)(nil)

// SaveSnapshot implements events.SnapshotStore. Snapshots bypass the
// writer: each is one pebble Set, without fsync, because a snapshot lost in
// a crash only makes the next recovery read more events. snapMu orders
// saves, so that an older snapshot never replaces a newer one. Like
// appends, saves are refused with events.ErrNoSpace when the disk is too
// full, and with the failure after a failed commit.
func (s *Store) SaveSnapshot(ctx context.Context, snap events.Snapshot) error {
	if s.readOnly {
		return fmt.Errorf("save snapshot of %q: %w", snap.Stream, ErrReadOnly)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := events.ValidateSnapshot(&snap, s.cfg.MaxEventSize); err != nil {
		return err
	}
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.closed {
		return events.ErrClosed
	}
	s.snapMu.Lock()
	defer s.snapMu.Unlock()
	old, err := s.loadSnapshot(snap.Stream)
	switch {
	case err == nil && old.Version >= snap.Version:
		return nil
	case err != nil && !errors.Is(err, events.ErrSnapshotNotFound):
		return err
	}
	v, err := proto.Marshal(&hivev1.StoredSnapshot{
		Stream: snap.Stream, Version: snap.Version, Type: snap.Type,
		SchemaVersion: snap.SchemaVersion, Payload: snap.Payload,
	})
	if err != nil {
		return fmt.Errorf("pebblestore: encode snapshot of %q: %w", snap.Stream, err)
	}
	if err := s.writable(len(v)); err != nil {
		return fmt.Errorf("pebblestore: save snapshot of %q: %w", snap.Stream, err)
	}
	if err := write(func() error { return s.db.Set(snapshotKey(snap.Stream), v, pebble.NoSync) }); err != nil {
		err = fmt.Errorf("pebblestore: save snapshot of %q: %w", snap.Stream, err)
		s.fail(err) // pebble's log may be broken: appends would fail too
		return err
	}
	return nil
}

// LoadSnapshot implements events.SnapshotStore.
func (s *Store) LoadSnapshot(ctx context.Context, stream string) (_ events.Snapshot, err error) {
	defer recoverFatal(s, &err)
	if err := ctx.Err(); err != nil {
		return events.Snapshot{}, err
	}
	if err := events.ValidateStreamName(stream); err != nil {
		return events.Snapshot{}, err
	}
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.closed {
		return events.Snapshot{}, events.ErrClosed
	}
	return s.loadSnapshot(stream)
}

func (s *Store) loadSnapshot(stream string) (events.Snapshot, error) {
	v, closer, err := s.db.Get(snapshotKey(stream))
	if errors.Is(err, pebble.ErrNotFound) {
		return events.Snapshot{}, fmt.Errorf("%w: %q", events.ErrSnapshotNotFound, stream)
	}
	if err != nil {
		return events.Snapshot{}, fmt.Errorf("pebblestore: load snapshot of %q: %w", stream, err)
	}
	var m hivev1.StoredSnapshot
	err = proto.Unmarshal(v, &m)
	if cerr := closer.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil || m.GetStream() != stream {
		return events.Snapshot{}, fmt.Errorf("%w: snapshot of %q: %v", ErrCorrupt, stream, err)
	}
	return events.Snapshot{Stream: m.GetStream(), Version: m.GetVersion(), Type: m.GetType(),
		SchemaVersion: m.GetSchemaVersion(), Payload: m.GetPayload()}, nil
}
