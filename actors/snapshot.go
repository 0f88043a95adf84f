package actors

import (
	"context"
	"errors"

	"hive/events"
)

// restoreSnapshot restores the entity from its stream's newest snapshot, if
// the entity and the store both support snapshots and one exists. A
// snapshot is only a shortcut: if it cannot be used, the entity recovers
// from the whole stream, and the failure is logged.
func (a *entityActor) restoreSnapshot(ctx context.Context) {
	snapshots, ok := a.store.(events.SnapshotStore)
	entity, ok2 := a.entity.(Snapshotter)
	if !ok || !ok2 {
		return
	}
	snap, err := snapshots.LoadSnapshot(ctx, a.ref.Stream())
	if errors.Is(err, events.ErrSnapshotNotFound) {
		return
	}
	if err == nil {
		err = restore(entity, &snap)
	}
	if err != nil {
		a.logger.Warn("snapshot not used; recovering from the whole stream", "entity", a.ref.String(), "err", err)
		a.entity = a.newEntity()
		return
	}
	a.version, a.snapshotAt = snap.Version, snap.Version
}

func restore(entity Snapshotter, snap *events.Snapshot) error {
	msg, err := events.DecodePayload(snap.Type, snap.Payload)
	if err != nil {
		return err
	}
	return entity.Restore(msg, snap.Version)
}

// maybeSnapshot saves a snapshot once the entity is SnapshotEvery events
// past its last one. Failing to save one is logged, not returned: the
// events are the record, and the next recovery only takes longer.
func (a *entityActor) maybeSnapshot(ctx context.Context) {
	snapshots, ok := a.store.(events.SnapshotStore)
	entity, ok2 := a.entity.(Snapshotter)
	if !ok || !ok2 || a.version-a.snapshotAt < uint64(a.cfg.SnapshotEvery) {
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
	a.snapshotAt = a.version
}
