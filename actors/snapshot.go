package actors

import (
	"context"
	"errors"
	"fmt"

	"hive/events"
)

// restoreSnapshot restores the entity from its stream's newest snapshot, if
// the entity and the store both support snapshots and one exists. A
// snapshot is only a shortcut: if it cannot be used, the entity recovers
// from the whole stream, and the failure is logged. A store that cannot be
// reached (or ctx ending) fails the recovery instead: the stream cannot be
// read either, and the next recovery uses the snapshot.
func (a *entityActor) restoreSnapshot(ctx context.Context) error {
	snapshots, ok := a.store.(events.SnapshotStore)
	entity, ok2 := a.entity.(Snapshotter)
	if !ok || !ok2 {
		return nil
	}
	snap, err := snapshots.LoadSnapshot(ctx, a.ref.Stream())
	if errors.Is(err, events.ErrSnapshotNotFound) {
		return nil
	}
	if err == nil {
		err = RestoreSnapshot(ctx, a.store, a.ref.Stream(), entity, &snap)
	}
	if errors.Is(err, events.ErrUnavailable) || ctx.Err() != nil {
		a.entity = a.newEntity()
		return fmt.Errorf("%s: recover: %w", a.ref, err)
	}
	if err != nil {
		a.logger.Warn("snapshot not used; recovering from the whole stream", "entity", a.ref.String(), "err", err)
		a.entity = a.newEntity()
		return nil
	}
	a.version, a.snapshotAt = snap.Version, snap.Version
	a.snapshotSize, a.sinceBytes = len(snap.Payload), 0
	return nil
}

// snapshotting reports whether the entity and the store both support
// snapshots.
func (a *entityActor) snapshotting() bool {
	_, ok := a.store.(events.SnapshotStore)
	_, ok2 := a.entity.(Snapshotter)
	return ok && ok2
}

// StreamReader reads a stream's events.
type StreamReader interface {
	ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error)
}

// RestoreSnapshot restores entity from snap, a snapshot of stream, and,
// if the entity is a Recaller, hands it the events of stream it recalls
// (read from r). On error the entity is in doubt: start again from a new
// one.
func RestoreSnapshot(ctx context.Context, r StreamReader, stream string, entity Snapshotter, snap *events.Snapshot) error {
	msg, err := events.DecodePayload(snap.Type, snap.Payload)
	if err != nil {
		return err
	}
	if err := entity.Restore(msg, snap.Version); err != nil {
		return err
	}
	rc, ok := entity.(Recaller)
	if !ok || rc.RecallFrom() == 0 {
		return nil
	}
	for from := rc.RecallFrom(); from <= snap.Version; {
		page, err := r.ReadStream(ctx, stream, from, events.Forward, int(min(snap.Version-from+1, recoveryPage)))
		if err != nil {
			return fmt.Errorf("recall %s from version %d: %w", stream, from, err)
		}
		if len(page) == 0 {
			return fmt.Errorf("recall %s from version %d: no events", stream, from)
		}
		for i := range page {
			msg, err := events.Decode(&page[i])
			if err == nil {
				err = rc.Recall(&page[i], msg)
			}
			if err != nil {
				return fmt.Errorf("recall %s version %d: %w", stream, page[i].Version, err)
			}
		}
		from = page[len(page)-1].Version + 1
	}
	return nil
}

// maybeSnapshot saves a snapshot once the entity is SnapshotEvery events
// past its last one, and those events' payloads add up to at least that
// snapshot's size: a large state (a busy swarm's) is not encoded again
// every SnapshotEvery events, snapshots cost at most what the events cost,
// and a recovery applies at most about a snapshot's worth of events after
// its snapshot. Failing to save one is logged, not returned: the events
// are the record, and the next recovery only takes longer.
func (a *entityActor) maybeSnapshot(ctx context.Context) {
	snapshots, ok := a.store.(events.SnapshotStore)
	entity, ok2 := a.entity.(Snapshotter)
	if !ok || !ok2 || a.version-a.snapshotAt < uint64(a.cfg.SnapshotEvery) || a.sinceBytes < a.snapshotSize {
		return
	}
	msg, err := entity.Snapshot()
	var typ string
	var payload []byte
	if err == nil {
		typ, payload, err = events.Encode(msg)
	}
	if err == nil {
		err = snapshots.SaveSnapshot(ctx, events.Snapshot{
			Stream: a.ref.Stream(), Version: a.version, Type: typ,
			SchemaVersion: events.CurrentSchemaVersion, Payload: payload,
		})
	}
	if err != nil {
		a.logger.Warn("snapshot not saved", "entity", a.ref.String(), "version", a.version, "err", err)
		return
	}
	a.snapshotAt, a.snapshotSize, a.sinceBytes = a.version, len(payload), 0
}
