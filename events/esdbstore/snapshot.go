package esdbstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/google/uuid"
	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"

	"hive/events"
)

// snapshotPrefix begins the name of the stream keeping a stream's
// snapshots: a system stream, so that reads of $all leave it out.
const snapshotPrefix = "$snapshot-"

// snapshotMetadata is the JSON a snapshot event carries as metadata.
type snapshotMetadata struct {
	Version       uint64 `json:"version"`
	SchemaVersion uint32 `json:"schemaVersion"`
}

// SaveSnapshot implements events.SnapshotStore. A snapshot is an event of
// the stream "$snapshot-<stream>", whose metadata ($maxCount 1, set when
// the stream is made) lets EventStoreDB's scavenger drop all but the
// newest. The save appends with the revision of the snapshot it read, so a
// newer snapshot saved concurrently is never replaced by an older one.
func (s *Store) SaveSnapshot(ctx context.Context, snap events.Snapshot) error {
	if err := validateStream(snap.Stream); err != nil {
		return err
	}
	if err := events.ValidateSnapshot(&snap, s.cfg.MaxEventSize); err != nil {
		return err
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	name := snapshotPrefix + s.esdbName(snap.Stream)
	ev, err := snapshotEvent(&snap)
	if err != nil {
		return err
	}
	if err := s.checkAppendSize(name, []kurrentdb.EventData{ev}); err != nil {
		return err
	}
	for range maxAppendAttempts {
		kept, revision, err := s.loadSnapshot(ctx, snap.Stream)
		if err != nil {
			return err
		}
		if kept != nil && kept.Version >= snap.Version {
			return nil
		}
		var state kurrentdb.StreamState = kurrentdb.NoStream{}
		if kept != nil {
			state = kurrentdb.Revision(revision)
		} else if err := s.limitSnapshots(ctx, name); err != nil {
			return err
		}
		err = s.call(ctx, "save the snapshot of "+snap.Stream, func(c *kurrentdb.Client) error {
			_, err := c.AppendToStream(ctx, name, kurrentdb.AppendToStreamOptions{StreamState: state}, ev)
			return err
		})
		if code(err) != kurrentdb.ErrorCodeWrongExpectedVersion {
			return err
		}
	}
	return fmt.Errorf("esdbstore: save the snapshot of %s: other writers kept saving snapshots of it", snap.Stream)
}

// snapshotEvent is the EventStoreDB event holding a snapshot.
func snapshotEvent(snap *events.Snapshot) (kurrentdb.EventData, error) {
	meta, err := json.Marshal(snapshotMetadata{Version: snap.Version, SchemaVersion: snap.SchemaVersion})
	if err != nil {
		return kurrentdb.EventData{}, fmt.Errorf("esdbstore: encode the snapshot of %s: %w", snap.Stream, err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return kurrentdb.EventData{}, fmt.Errorf("esdbstore: snapshot id: %w", err)
	}
	return kurrentdb.EventData{EventID: id, EventType: snap.Type, ContentType: kurrentdb.ContentTypeBinary, Data: snap.Payload, Metadata: meta}, nil
}

// limitSnapshots sets the metadata of a new snapshot stream: keep one.
func (s *Store) limitSnapshots(ctx context.Context, name string) error {
	var meta kurrentdb.StreamMetadata
	meta.SetMaxCount(1)
	return s.call(ctx, "limit "+name, func(c *kurrentdb.Client) error {
		_, err := c.SetStreamMetadata(ctx, name, kurrentdb.AppendToStreamOptions{StreamState: kurrentdb.Any{}}, meta)
		return err
	})
}

// LoadSnapshot implements events.SnapshotStore.
func (s *Store) LoadSnapshot(ctx context.Context, stream string) (events.Snapshot, error) {
	if err := events.ValidateStreamName(stream); err != nil {
		return events.Snapshot{}, err
	}
	if err := validateStream(stream); err != nil {
		return events.Snapshot{}, err
	}
	if err := s.begin(ctx); err != nil {
		return events.Snapshot{}, err
	}
	snap, _, err := s.loadSnapshot(ctx, stream)
	if err != nil {
		return events.Snapshot{}, err
	}
	if snap == nil {
		return events.Snapshot{}, fmt.Errorf("%w: %q", events.ErrSnapshotNotFound, stream)
	}
	return *snap, nil
}

// loadSnapshot returns the stream's newest snapshot and its revision in
// the snapshot stream, or nil if there is none.
func (s *Store) loadSnapshot(ctx context.Context, stream string) (*events.Snapshot, uint64, error) {
	name := snapshotPrefix + s.esdbName(stream)
	var recs []*kurrentdb.RecordedEvent
	err := s.call(ctx, "load the snapshot of "+stream, func(c *kurrentdb.Client) (err error) {
		recs, err = s.readStreamRaw(ctx, c, name, kurrentdb.ReadStreamOptions{Direction: kurrentdb.Backwards, From: kurrentdb.End{}}, 1)
		return err
	})
	if err != nil || len(recs) == 0 {
		return nil, 0, err
	}
	r := recs[0]
	var m snapshotMetadata
	if err := json.Unmarshal(r.UserMetadata, &m); err != nil {
		return nil, 0, fmt.Errorf("%w: %s revision %d: snapshot metadata: %v", ErrForeignEvent, name, r.EventNumber, err)
	}
	return &events.Snapshot{
		Stream: stream, Version: m.Version, Type: r.EventType, SchemaVersion: m.SchemaVersion, Payload: bytes.Clone(r.Data),
	}, r.EventNumber, nil
}
