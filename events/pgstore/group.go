package pgstore

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"hive/events"
)

// streamHead is where a stream stands: its version and its last hash.
type streamHead struct {
	version uint64
	hash    events.Hash
}

// group is one transaction's worth of appends: its requests, what the
// database says about their streams and ids, the decision for each, and
// the rows of the events to insert.
type group struct {
	reqs    []*request
	replies []reply // one per request, in order
	now     time.Time
	next    uint64 // position of the next event to stage
	appends int    // requests that stage events

	heads     map[string]streamHead // as the staged requests leave them
	changed   []string              // streams with staged events, in first-staged order
	isChanged map[string]bool
	stored    map[uuid.UUID]events.Location // the requests' ids found in the database
	staged    map[uuid.UUID]events.Location // ids staged by the group
	rows      eventRows
}

// eventRows are the staged events, column by column, for unnest.
type eventRows struct {
	positions, versions, schemaVersions, recordedAt []int64
	streams, types                                  []string
	correlationIDs, causationIDs, principals        []string
	ids                                             []pgtype.UUID
	payloads, hashes                                [][]byte
}

func newGroup(reqs []*request) *group {
	return &group{
		reqs:      reqs,
		heads:     make(map[string]streamHead),
		isChanged: make(map[string]bool),
		stored:    make(map[uuid.UUID]events.Location),
		staged:    make(map[uuid.UUID]events.Location),
	}
}

// failAll makes err every request's reply.
func (g *group) failAll(err error) {
	g.replies = g.replies[:0]
	for range g.reqs {
		g.replies = append(g.replies, reply{err: err})
	}
}

// load begins the transaction, locks the log's head row, which
// serialises every appending transaction of every process (see the
// package documentation), and reads, in the same round trip, the heads of
// the group's streams and where its ids are stored, if they are.
func (g *group) load(ctx context.Context, conn *pgxpool.Conn) error {
	var names []string
	var ids []pgtype.UUID
	seen := make(map[string]bool)
	for _, r := range g.reqs {
		if !seen[r.stream] {
			seen[r.stream] = true
			names = append(names, r.stream)
		}
		for i := range r.evs {
			ids = append(ids, pgUUID(r.evs[i].ID))
		}
	}
	b := &pgx.Batch{}
	b.Queue("BEGIN")
	b.Queue("SELECT position FROM hive.head FOR UPDATE").QueryRow(func(row pgx.Row) error {
		var head int64
		err := row.Scan(&head)
		g.next = uint64(head) + 1
		return err
	})
	b.Queue("SELECT stream, version, hash FROM hive.streams WHERE stream = ANY($1)", names).Query(func(rows pgx.Rows) error {
		return g.scanHeads(rows)
	})
	b.Queue("SELECT id, stream, version, position FROM hive.events WHERE id = ANY($1)", ids).Query(func(rows pgx.Rows) error {
		return g.scanStored(rows)
	})
	return conn.SendBatch(ctx, b).Close()
}

func (g *group) scanHeads(rows pgx.Rows) error {
	var name string
	var version int64
	var hash []byte
	_, err := pgx.ForEachRow(rows, []any{&name, &version, &hash}, func() error {
		h := streamHead{version: uint64(version)}
		if len(hash) != len(h.hash) {
			return fmt.Errorf("%w: stream %q's head hash is %d bytes", ErrCorrupt, name, len(hash))
		}
		copy(h.hash[:], hash)
		g.heads[name] = h
		return nil
	})
	return err
}

func (g *group) scanStored(rows pgx.Rows) error {
	var id uuid.UUID
	var loc events.Location
	var version, position int64
	_, err := pgx.ForEachRow(rows, []any{(*[16]byte)(&id), &loc.Stream, &version, &position}, func() error {
		loc.Version, loc.Position = uint64(version), uint64(position)
		g.stored[id] = loc
		return nil
	})
	return err
}

// locate finds an id among the stored and the staged events.
func (g *group) locate(id uuid.UUID) (events.Location, bool, error) {
	if loc, ok := g.staged[id]; ok {
		return loc, true, nil
	}
	loc, ok := g.stored[id]
	return loc, ok, nil
}

// stage decides one request against the database as the requests staged
// before it leave it: a repeat of an earlier append returns its result, a
// refused one its error, and either way stages nothing; otherwise its
// events get their versions, positions, recorded time and hashes and are
// staged. Each request is decided on its own: one's refusal does not
// affect another's.
func (g *group) stage(r *request) reply {
	prior, err := events.CheckReplay(r.stream, r.evs, g.locate)
	if err != nil {
		return reply{err: err}
	}
	if prior != nil {
		return reply{res: *prior}
	}
	head := g.heads[r.stream]
	if !r.expected.Allows(head.version) {
		return reply{err: &events.WrongExpectedVersionError{Stream: r.stream, Expected: r.expected, Actual: head.version}}
	}
	if !g.isChanged[r.stream] {
		g.isChanged[r.stream] = true
		g.changed = append(g.changed, r.stream)
	}
	for i := range r.evs {
		env := g.envelope(r.stream, head.version+1, &r.evs[i])
		env.Hash = events.ChainHash(head.hash, &env)
		head = streamHead{version: env.Version, hash: env.Hash}
		g.rows.add(&env)
		g.staged[env.ID] = events.Location{Stream: env.Stream, Version: env.Version, Position: env.Position}
	}
	g.heads[r.stream] = head
	g.appends++
	return reply{res: events.AppendResult{LastVersion: head.version, LastPosition: g.next - 1}}
}

// envelope returns e as stored at version of stream, at the next
// position, recorded at its own time or the group's, in UTC.
func (g *group) envelope(stream string, version uint64, e *events.Event) events.Envelope {
	at := g.now
	if !e.RecordedAt.IsZero() {
		at = e.RecordedAt.UTC()
	}
	env := events.Envelope{
		ID: e.ID, Stream: stream, Version: version, Position: g.next, Type: e.Type,
		RecordedAt: at, SchemaVersion: e.SchemaVersion, Payload: e.Payload, Metadata: e.Metadata,
	}
	g.next++
	return env
}

// changedHeads returns the new heads of the streams the group appends to,
// column by column.
func (g *group) changedHeads() (names []string, versions []int64, hashes [][]byte) {
	for _, name := range g.changed {
		h := g.heads[name]
		names = append(names, name)
		versions = append(versions, int64(h.version))
		hashes = append(hashes, h.hash[:])
	}
	return names, versions, hashes
}

// add appends env to the rows.
func (r *eventRows) add(env *events.Envelope) {
	r.positions = append(r.positions, int64(env.Position))
	r.streams = append(r.streams, env.Stream)
	r.versions = append(r.versions, int64(env.Version))
	r.ids = append(r.ids, pgUUID(env.ID))
	r.types = append(r.types, env.Type)
	r.schemaVersions = append(r.schemaVersions, int64(env.SchemaVersion))
	r.recordedAt = append(r.recordedAt, env.RecordedAt.UnixNano())
	r.correlationIDs = append(r.correlationIDs, env.CorrelationID)
	r.causationIDs = append(r.causationIDs, env.CausationID)
	r.principals = append(r.principals, env.Principal)
	r.payloads = append(r.payloads, env.Payload)
	hash := env.Hash
	r.hashes = append(r.hashes, hash[:])
}

// pgUUID converts an id for pgx, which encodes pgtype.UUID (and slices of
// it) in every query mode, binary or text, and a uuid.UUID only through
// its text form.
func pgUUID(id uuid.UUID) pgtype.UUID { return pgtype.UUID{Bytes: id, Valid: true} }
