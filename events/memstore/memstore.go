// Package memstore is an in-memory events.Store: the fast test double for
// unit tests. It passes the same conformance suite as the embedded store but
// keeps nothing across restarts.
//
// To keep consumers honest, its global positions are not dense: each event
// advances the position by one more than its payload size, roughly as
// EventStoreDB's byte-offset positions do.
package memstore

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"

	"hive/events"
)

// Store is an in-memory event store. The zero value is not usable; call New.
type Store struct {
	maxEventSize int
	commits      *events.Signal
	done         chan struct{}

	mu      sync.RWMutex
	closed  bool
	log     []events.Envelope
	streams map[string][]int // stream -> indexes into log, by version
	ids     map[uuid.UUID]int
	snaps   map[string]events.Snapshot
}

var (
	_ events.Store         = (*Store)(nil)
	_ events.SnapshotStore = (*Store)(nil)
)

// New returns an empty store whose events may be at most maxEventSize bytes
// (events.DefaultMaxEventSize if 0).
func New(maxEventSize int) *Store {
	if maxEventSize <= 0 {
		maxEventSize = events.DefaultMaxEventSize
	}
	return &Store{
		maxEventSize: maxEventSize,
		commits:      events.NewSignal(),
		done:         make(chan struct{}),
		streams:      make(map[string][]int),
		ids:          make(map[uuid.UUID]int),
		snaps:        make(map[string]events.Snapshot),
	}
}

// Append implements events.Store.
func (s *Store) Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	if err := ctx.Err(); err != nil {
		return events.AppendResult{}, err
	}
	if err := events.ValidateAppend(stream, evs, s.maxEventSize); err != nil {
		return events.AppendResult{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return events.AppendResult{}, events.ErrClosed
	}
	prior, err := events.CheckReplay(stream, evs, s.locate)
	if err != nil || prior != nil {
		return derefResult(prior), err
	}
	idx := s.streams[stream]
	current := uint64(len(idx))
	if !expected.Allows(current) {
		return events.AppendResult{}, &events.WrongExpectedVersionError{Stream: stream, Expected: expected, Actual: current}
	}
	var prev events.Hash
	if current > 0 {
		prev = s.log[idx[current-1]].Hash
	}
	now := time.Now().UTC()
	for i := range evs {
		env := s.envelope(stream, current+uint64(i)+1, now, &evs[i])
		env.Hash = events.ChainHash(prev, &env)
		prev = env.Hash
		s.ids[env.ID] = len(s.log)
		idx = append(idx, len(s.log))
		s.log = append(s.log, env)
	}
	s.streams[stream] = idx
	s.commits.Broadcast()
	last := s.log[len(s.log)-1]
	return events.AppendResult{LastVersion: last.Version, LastPosition: last.Position}, nil
}

func (s *Store) envelope(stream string, version uint64, now time.Time, e *events.Event) events.Envelope {
	pos := uint64(1)
	if n := len(s.log); n > 0 {
		pos = s.log[n-1].Position + 1 + uint64(len(s.log[n-1].Payload))
	}
	if !e.RecordedAt.IsZero() {
		now = e.RecordedAt.UTC()
	}
	return events.Envelope{
		ID: e.ID, Stream: stream, Version: version, Position: pos, Type: e.Type,
		RecordedAt: now, SchemaVersion: e.SchemaVersion,
		Payload: append([]byte(nil), e.Payload...), Metadata: e.Metadata,
	}
}

func (s *Store) locate(id uuid.UUID) (events.Location, bool, error) {
	i, ok := s.ids[id]
	if !ok {
		return events.Location{}, false, nil
	}
	e := &s.log[i]
	return events.Location{Stream: e.Stream, Version: e.Version, Position: e.Position}, true, nil
}

func derefResult(r *events.AppendResult) events.AppendResult {
	if r == nil {
		return events.AppendResult{}
	}
	return *r
}

// beginRead checks a read's limit and context and, unless it fails, returns
// with the read lock held.
func (s *Store) beginRead(ctx context.Context, limit int) (int, error) {
	limit, err := events.ClampLimit(limit)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return 0, events.ErrClosed
	}
	return limit, nil
}

// ReadStream implements events.Store.
func (s *Store) ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error) {
	if err := events.ValidateStreamRead(stream, dir); err != nil {
		return nil, err
	}
	limit, err := s.beginRead(ctx, limit)
	if err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	idx := s.streams[stream]
	if len(idx) == 0 {
		return nil, fmt.Errorf("%w: %q", events.ErrStreamNotFound, stream)
	}
	var out []events.Envelope
	if dir == events.Backward {
		start := min(from, uint64(len(idx)))
		for v := start; v >= 1 && len(out) < limit; v-- {
			out = append(out, owned(s.log[idx[v-1]]))
		}
		return out, nil
	}
	for v := max(from, 1); v <= uint64(len(idx)) && len(out) < limit; v++ {
		out = append(out, owned(s.log[idx[v-1]]))
	}
	return out, nil
}

// ReadAll implements events.Store.
func (s *Store) ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error) {
	limit, err := s.beginRead(ctx, limit)
	if err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	i := sort.Search(len(s.log), func(i int) bool { return s.log[i].Position > after })
	end := min(i+limit, len(s.log))
	out := make([]events.Envelope, 0, end-i)
	for _, e := range s.log[i:end] {
		out = append(out, owned(e))
	}
	return out, nil
}

// owned returns e with a copy of its payload, for a caller to own: the
// store's memory never leaves it.
func owned(e events.Envelope) events.Envelope {
	e.Payload = bytes.Clone(e.Payload)
	return e
}

// SubscribeAll implements events.Store.
func (s *Store) SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return nil, events.ErrClosed
	}
	return events.NewSubscription(s, s.commits, s.done, after, 512), nil
}

// Head implements events.Store.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return 0, events.ErrClosed
	}
	if len(s.log) == 0 {
		return 0, nil
	}
	return s.log[len(s.log)-1].Position, nil
}

// SaveSnapshot implements events.SnapshotStore.
func (s *Store) SaveSnapshot(ctx context.Context, snap events.Snapshot) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := events.ValidateSnapshot(&snap, s.maxEventSize); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return events.ErrClosed
	}
	if old, ok := s.snaps[snap.Stream]; !ok || old.Version < snap.Version {
		snap.Payload = append([]byte(nil), snap.Payload...)
		s.snaps[snap.Stream] = snap
	}
	return nil
}

// LoadSnapshot implements events.SnapshotStore.
func (s *Store) LoadSnapshot(ctx context.Context, stream string) (events.Snapshot, error) {
	if err := ctx.Err(); err != nil {
		return events.Snapshot{}, err
	}
	if err := events.ValidateStreamName(stream); err != nil {
		return events.Snapshot{}, err
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return events.Snapshot{}, events.ErrClosed
	}
	snap, ok := s.snaps[stream]
	if !ok {
		return events.Snapshot{}, fmt.Errorf("%w: %q", events.ErrSnapshotNotFound, stream)
	}
	snap.Payload = bytes.Clone(snap.Payload)
	return snap, nil
}

// Close implements events.Store.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.closed = true
		close(s.done)
	}
	return nil
}
