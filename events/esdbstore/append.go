package esdbstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"

	"hive/events"
)

// maxAppendAttempts bounds how often Append reads the stream and tries
// again after EventStoreDB reports that another writer moved it.
const maxAppendAttempts = 16

// Append implements events.Store.
//
// It reads the stream's newest events (its tail), decides with them, then
// appends with the exact revision it read, so that no other writer's
// events can come between the hash it chained from and the events it
// writes: if one did, EventStoreDB refuses the append and Append decides
// again from a fresh read.
func (s *Store) Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	if err := validateStream(stream); err != nil {
		return events.AppendResult{}, err
	}
	if err := events.ValidateAppend(stream, evs, s.cfg.MaxEventSize); err != nil {
		return events.AppendResult{}, err
	}
	if err := s.begin(ctx); err != nil {
		return events.AppendResult{}, err
	}
	for attempt := 1; ; attempt++ {
		t, err := s.readTail(ctx, stream, expected, len(evs))
		if err != nil {
			return events.AppendResult{}, err
		}
		prior, err := events.CheckReplay(stream, evs, t.locate)
		if err != nil {
			return events.AppendResult{}, err
		}
		if prior != nil {
			return *prior, nil
		}
		if !expected.Allows(t.version) || attempt > maxAppendAttempts {
			return events.AppendResult{}, &events.WrongExpectedVersionError{Stream: stream, Expected: expected, Actual: t.version}
		}
		res, err := s.write(ctx, stream, &t, evs)
		if code(err) == kurrentdb.ErrorCodeWrongExpectedVersion {
			continue // another writer moved the stream since the read
		}
		return res, err
	}
}

// tail is what Append knows of a stream: its version and last hash, and
// where the events it read are.
type tail struct {
	version uint64
	hash    events.Hash
	at      map[uuid.UUID]events.Location
}

func (t *tail) locate(id uuid.UUID) (events.Location, bool, error) {
	loc, ok := t.at[id]
	return loc, ok, nil
}

func (t *tail) add(envs []events.Envelope) {
	for _, e := range envs {
		t.at[e.ID] = events.Location{Stream: e.Stream, Version: e.Version, Position: e.Position}
	}
}

// readTail reads the stream's newest events (Config.ReplayWindow of them,
// or n if more, so that a repeat of the stream's last append of n events
// is always among them) and, for an exact expected version the stream is
// past, the n events after it, where a repeat of the append would be.
func (s *Store) readTail(ctx context.Context, stream string, expected events.ExpectedVersion, n int) (tail, error) {
	t := tail{at: map[uuid.UUID]events.Location{}}
	newest, err := s.readStream(ctx, stream, kurrentdb.Backwards, kurrentdb.End{}, max(s.cfg.ReplayWindow, n))
	if errors.Is(err, events.ErrStreamNotFound) {
		return t, nil
	}
	if err != nil {
		return tail{}, err
	}
	t.version, t.hash = newest[0].Version, newest[0].Hash
	t.add(newest)
	if v, ok := expected.Version(); ok && v < t.version && v+1 < newest[len(newest)-1].Version {
		after, err := s.readStream(ctx, stream, kurrentdb.Forwards, revision(v+1), n)
		if err != nil {
			return tail{}, err
		}
		t.add(after)
	}
	return t, nil
}

// write appends evs after the tail t, chaining their hashes from t's, with
// t's revision as the expected one. An error whose code is
// ErrorCodeWrongExpectedVersion means that the stream moved since t was
// read.
func (s *Store) write(ctx context.Context, stream string, t *tail, evs []events.Event) (events.AppendResult, error) {
	now := time.Now().UTC()
	prev := t.hash
	data := make([]kurrentdb.EventData, len(evs))
	for i := range evs {
		env := envelope(stream, t.version+1+uint64(i), now, &evs[i])
		env.Hash = events.ChainHash(prev, &env)
		prev = env.Hash
		d, err := toEventData(&env)
		if err != nil {
			return events.AppendResult{}, err
		}
		data[i] = d
	}
	if err := s.checkAppendSize(stream, data); err != nil {
		return events.AppendResult{}, err
	}
	var state kurrentdb.StreamState = kurrentdb.NoStream{}
	if t.version > 0 {
		state = revision(t.version)
	}
	var wr *kurrentdb.WriteResult
	err := s.call(ctx, "append to "+stream, func(c *kurrentdb.Client) (err error) {
		wr, err = c.AppendToStream(ctx, s.esdbName(stream), kurrentdb.AppendToStreamOptions{StreamState: state}, data...)
		return err
	})
	if err != nil {
		return events.AppendResult{}, err
	}
	res := events.AppendResult{LastVersion: wr.NextExpectedVersion + 1, LastPosition: wr.PreparePosition}
	if wr.PreparePosition == 0 || wr.CommitPosition != wr.PreparePosition {
		// The server named no single position (it may not, for an append
		// it found to repeat one): read the last event's.
		last, err := s.readStream(ctx, stream, kurrentdb.Forwards, revision(res.LastVersion), 1)
		if err != nil {
			return events.AppendResult{}, err
		}
		if len(last) == 0 {
			return events.AppendResult{}, fmt.Errorf("esdbstore: append to %s: version %d is not there after the append", stream, res.LastVersion)
		}
		res.LastPosition = last[0].Position
	}
	return res, nil
}

// envelope is the envelope of e as the version'th event of stream, recorded
// at now unless e says when.
func envelope(stream string, version uint64, now time.Time, e *events.Event) events.Envelope {
	if !e.RecordedAt.IsZero() {
		now = e.RecordedAt.UTC()
	}
	return events.Envelope{
		ID: e.ID, Stream: stream, Version: version, Type: e.Type,
		RecordedAt: now, SchemaVersion: e.SchemaVersion, Payload: e.Payload, Metadata: e.Metadata,
	}
}
