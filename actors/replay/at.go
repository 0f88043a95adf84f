package replay

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/events"
)

// ErrNotFound: the entity has no event at or before the target.
var ErrNotFound = errors.New("no state at that point")

// Target is a point in the log: the newest event at or before Position,
// or else at or before Time; the zero Target is the end of the log.
type Target struct {
	Position uint64
	Time     time.Time
}

// covers reports whether env is at or before t.
func (t Target) covers(env *events.Envelope) bool {
	switch {
	case t.Position > 0:
		return env.Position <= t.Position
	case !t.Time.IsZero():
		return !env.RecordedAt.After(t.Time)
	}
	return true
}

// String shows the target as given.
func (t Target) String() string {
	switch {
	case t.Position > 0:
		return fmt.Sprintf("position %d", t.Position)
	case !t.Time.IsZero():
		return t.Time.UTC().Format(time.RFC3339Nano)
	}
	return "end of log"
}

// State is an entity's state at a point of its stream.
type State struct {
	Entity actors.Ref `json:"-"`
	// Version, Position and RecordedAt are those of the last event applied.
	Version    uint64    `json:"version"`
	Position   uint64    `json:"position"`
	RecordedAt time.Time `json:"recorded_at"`
	// Snapshot is the version of the snapshot the replay started from, 0
	// if it folded the stream from its first event.
	Snapshot uint64 `json:"snapshot"`
	// SnapshotSkipped says why the stream's snapshot was not used although
	// the target covers it (it could not be decoded or restored), if so.
	SnapshotSkipped string `json:"snapshot_skipped,omitempty"`
	// Applied is how many events the replay applied.
	Applied int `json:"applied"`
	// View is the entity's View at that point.
	View any `json:"state"`
}

// At returns the state of ref at target: its stream folded up to the last
// event the target covers, starting from the stream's snapshot if the
// Source keeps one that the target covers.
func (r *Replayer) At(ctx context.Context, ref actors.Ref, target Target) (State, error) {
	newEntity, ok := r.kinds[ref.Kind]
	if !ok {
		return State{}, fmt.Errorf("%w: %q", ErrUnknownKind, ref.Kind)
	}
	entity := newEntity()
	st := State{Entity: ref}
	used, err := r.restore(ctx, ref.Stream(), target, entity, &st)
	if err != nil {
		return State{}, err
	}
	if !used {
		entity = newEntity()
	}
	err = r.fold(ctx, ref.Stream(), st.Version+1, events.Decode, func(env *events.Envelope, msg proto.Message) (bool, error) {
		if !target.covers(env) {
			return false, nil
		}
		if err := entity.Apply(env, msg); err != nil {
			return false, fmt.Errorf("replay %s version %d: %w", env.Stream, env.Version, err)
		}
		st.Version, st.Position, st.RecordedAt = env.Version, env.Position, env.RecordedAt
		st.Applied++
		return true, nil
	})
	if err != nil {
		return State{}, err
	}
	if st.Version == 0 {
		return State{}, fmt.Errorf("%w: %s at %s", ErrNotFound, ref, target)
	}
	st.View = entity.View()
	return st, nil
}

// restore restores entity from the stream's snapshot if there is one the
// target covers, records where it stands in st, and reports whether it
// did. A snapshot that cannot be used is skipped, and why recorded in st
// (the entity may then be half restored: start again from a new one): the
// stream is the record.
func (r *Replayer) restore(ctx context.Context, stream string, target Target, entity actors.Entity, st *State) (bool, error) {
	snapshots, ok := r.src.(events.SnapshotStore)
	snapshotter, ok2 := entity.(actors.Snapshotter)
	if !ok || !ok2 {
		return false, nil
	}
	snap, err := snapshots.LoadSnapshot(ctx, stream)
	if errors.Is(err, events.ErrSnapshotNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("load the snapshot of %s: %w", stream, err)
	}
	at, err := r.src.ReadStream(ctx, stream, snap.Version, events.Forward, 1)
	if err != nil {
		return false, fmt.Errorf("read %s version %d: %w", stream, snap.Version, err)
	}
	if len(at) == 0 || at[0].Version != snap.Version || !target.covers(&at[0]) {
		return false, nil
	}
	if err := actors.RestoreSnapshot(ctx, r.src, stream, snapshotter, &snap); err != nil {
		st.SnapshotSkipped = fmt.Sprintf("snapshot at version %d: %v", snap.Version, err)
		return false, nil
	}
	st.Version, st.Position, st.RecordedAt, st.Snapshot = at[0].Version, at[0].Position, at[0].RecordedAt, snap.Version
	return true, nil
}
