package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"

	"hive/events"
)

// runWriter is the writer loop: it takes a request, groups it with every
// request already waiting (up to MaxBatchEvents events) and commits the
// group in one transaction. It returns when the store closes, after the
// transaction under way.
func (s *Store) runWriter() {
	defer s.running.Done()
	for {
		var first *request
		select {
		case first = <-s.reqs:
		case <-s.done:
			return
		}
		s.commitGroup(s.collect(first))
	}
}

// collect returns first and the requests waiting to be taken, up to
// MaxBatchEvents events in all, leaving out those whose callers stopped
// waiting.
func (s *Store) collect(first *request) []*request {
	group := []*request{first}
	n := len(first.evs)
	for n < s.cfg.MaxBatchEvents {
		select {
		case r := <-s.reqs:
			group = append(group, r)
			n += len(r.evs)
			continue
		default:
		}
		break
	}
	live := group[:0]
	for _, r := range group {
		if !r.abandoned.Load() {
			live = append(live, r)
		}
	}
	return live
}

// commitGroup decides and commits a group's requests and answers each.
func (s *Store) commitGroup(reqs []*request) {
	if len(reqs) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(s.writeCtx, s.cfg.WriteTimeout)
	defer cancel()
	g := newGroup(reqs)
	if err := s.transact(ctx, g); err != nil {
		err = translate(s.writeCtx, "append", err)
		if ctx.Err() != nil && !errors.Is(err, events.ErrUnavailable) {
			err = fmt.Errorf("%w: %w", events.ErrUnavailable, err)
		}
		s.log.Warn("append transaction failed", "store", s.where, "appends", len(reqs), "err", err)
		g.failAll(err)
	}
	for i, r := range reqs {
		r.reply <- g.replies[i]
	}
}

// transact runs a group's transaction: it locks the log's head, reads
// what the group's requests need to be decided, decides each (see
// group.stage), writes the events of those that succeed and commits. A
// group whose requests all fail or repeat earlier appends writes nothing
// and rolls back.
func (s *Store) transact(ctx context.Context, g *group) (err error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback(ctx)
		}
	}()
	if err := g.load(ctx, tx); err != nil {
		return err
	}
	g.now = time.Now().UTC()
	for _, r := range g.reqs {
		g.replies = append(g.replies, g.stage(r))
	}
	if len(g.rows.positions) == 0 {
		// Nothing to write: the decisions stand whatever the rollback
		// says, as they were made on committed data.
		_ = tx.Rollback(ctx)
		return nil
	}
	if err := g.write(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return err
	}
	s.stats.commits.Add(1)
	s.stats.appends.Add(uint64(g.appends))
	s.stats.events.Add(uint64(len(g.rows.positions)))
	s.commits.Broadcast()
	return nil
}

// notifyChannel is the channel of the NOTIFY every appending transaction
// sends, its payload the new head position.
const notifyChannel = "hive_events"

// write inserts the group's events, moves its streams' heads and the log's
// head, and notifies listeners, in one round trip.
func (g *group) write(ctx context.Context, tx pgx.Tx) error {
	r := &g.rows
	head := g.next - 1
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO hive.events (position, stream, version, id, type, schema_version, recorded_at,
			correlation_id, causation_id, principal, payload, hash)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::bigint[],
			$7::bigint[], $8::text[], $9::text[], $10::text[], $11::bytea[], $12::bytea[])`,
		r.positions, r.streams, r.versions, r.ids, r.types, r.schemaVersions,
		r.recordedAt, r.correlationIDs, r.causationIDs, r.principals, r.payloads, r.hashes)
	names, versions, hashes := g.changedHeads()
	b.Queue(`INSERT INTO hive.streams (stream, version, hash)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[])
		ON CONFLICT (stream) DO UPDATE SET version = excluded.version, hash = excluded.hash`,
		names, versions, hashes)
	b.Queue("UPDATE hive.head SET position = $1", int64(head))
	b.Queue("SELECT pg_notify($1, $2)", notifyChannel, strconv.FormatUint(head, 10))
	return tx.SendBatch(ctx, b).Close()
}
