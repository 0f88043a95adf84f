package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"hive/events"
)

// writer is the goroutine that commits appends: it takes a request,
// groups it with every request already waiting (up to MaxBatchEvents
// events) and commits the group in one transaction.
type writer struct {
	s *Store
	// held is a request taken that did not fit the last group: the first
	// of the next.
	held *request
	// lastCommit is how long the last transaction took, which bounds
	// linger.
	lastCommit time.Duration
}

// runWriter is the writer loop. It returns when the store closes, after
// the transaction under way.
func (s *Store) runWriter() {
	defer s.running.Done()
	w := &writer{s: s}
	for {
		first := w.held
		w.held = nil
		if first == nil {
			select {
			case first = <-s.reqs:
			case <-s.done:
				return
			}
		}
		w.commit(w.collect(first))
	}
}

// collect returns first and the requests waiting to be taken, up to
// MaxBatchEvents events and MaxBatchBytes bytes in all (a request that
// does not fit is held for the next group), leaving out those whose
// callers stopped waiting. Before it returns, it lingers for Append calls
// under way that have not reached it yet (see linger).
func (w *writer) collect(first *request) []*request {
	g := taking{cfg: &w.s.cfg}
	g.take(first)
	var linger *time.Timer
	for w.held == nil {
		select {
		case r := <-w.s.reqs:
			w.offer(&g, r)
			continue
		default:
		}
		if linger == nil {
			limit := min(w.s.cfg.MaxCommitDelay, w.lastCommit)
			if limit <= 0 {
				break
			}
			linger = time.NewTimer(limit)
			defer linger.Stop()
		}
		if !w.linger(&g, linger.C) {
			break
		}
	}
	live := g.reqs[:0]
	for _, r := range g.reqs {
		if !r.abandoned.Load() {
			live = append(live, r)
		}
	}
	return live
}

// offer adds r to g if it fits, and holds it for the next group if not.
func (w *writer) offer(g *taking, r *request) {
	if g.fits(r) {
		g.take(r)
	} else {
		w.held = r
	}
}

// taking is a group of requests being collected.
type taking struct {
	cfg           *Config
	reqs          []*request
	events, bytes int
}

func (g *taking) take(r *request) {
	g.reqs = append(g.reqs, r)
	g.events += len(r.evs)
	g.bytes += r.size
}

// fits reports whether r can join the group within the limits.
func (g *taking) fits(r *request) bool {
	return g.events+len(r.evs) <= g.cfg.MaxBatchEvents && g.bytes+r.size <= g.cfg.MaxBatchBytes
}

// linger waits for one more request while some Append calls under way
// are not in the group, until expired fires: typically the callers just
// answered, coming back with their next append. They then share this
// commit instead of waiting for the next one. Without it a closed loop of
// writers settles into two cohorts taking turns, each commit carrying half
// of them. The timer is the group's, started by collect at its first
// linger, for at most Config.MaxCommitDelay and never longer than the
// last commit took: a group lingers that long in all, however many
// requests trickle in. A lone caller never waits. It reports whether it
// took a request.
func (w *writer) linger(g *taking, expired <-chan time.Time) bool {
	if w.s.appending.Load() <= int64(len(g.reqs)) {
		return false
	}
	select {
	case r := <-w.s.reqs:
		w.offer(g, r)
		return true
	case <-expired:
	case <-w.s.done:
	}
	return false
}

// commit decides and commits a group's requests and answers each.
func (w *writer) commit(reqs []*request) {
	if len(reqs) == 0 {
		return
	}
	s := w.s
	ctx, cancel := context.WithTimeout(s.writeCtx, s.cfg.WriteTimeout)
	defer cancel()
	g := newGroup(reqs)
	start := time.Now()
	if err := s.transact(ctx, g); err != nil {
		err = translate(s.writeCtx, "append", err)
		if ctx.Err() != nil && !errors.Is(err, events.ErrUnavailable) {
			err = fmt.Errorf("%w: %w", events.ErrUnavailable, err)
		}
		s.log.Warn("append transaction failed", "store", s.where, "appends", len(reqs), "err", err)
		g.failAll(err)
	}
	w.lastCommit = time.Since(start)
	for i, r := range reqs {
		r.reply <- g.replies[i]
	}
}

// transact runs a group's transaction in two round trips: the first
// begins it, locks the log's head and reads what the group's requests
// need to be decided; then each is decided (see group.stage); the second
// writes the events of those that succeed and commits. A group whose
// requests all fail or repeat earlier appends writes nothing and rolls
// back. After an error the connection, left inside the transaction, is
// closed by the pool on release, which rolls the transaction back.
func (s *Store) transact(ctx context.Context, g *group) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if err := g.load(ctx, conn); err != nil {
		return err
	}
	g.now = time.Now().UTC()
	for _, r := range g.reqs {
		g.replies = append(g.replies, g.stage(r))
	}
	if len(g.rows.positions) == 0 {
		// Nothing to write: the decisions stand whatever the rollback
		// says, as they were made on committed data.
		_, _ = conn.Exec(ctx, "ROLLBACK")
		return nil
	}
	if err := g.write(ctx, conn); err != nil {
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
// head, notifies listeners and commits, in one round trip. If any
// statement fails, PostgreSQL skips the rest, COMMIT included.
func (g *group) write(ctx context.Context, conn *pgxpool.Conn) error {
	r := &g.rows
	head := g.next - 1
	b := &pgx.Batch{}
	b.Queue(`INSERT INTO hive.events (position, stream, version, id, type, schema_version, recorded_at,
			correlation_id, causation_id, principal, payload, hash)
		SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::bigint[],
			$7::bigint[], $8::text[], $9::text[], $10::text[], $11::bytea[], $12::bytea[])`,
		r.positions, r.streams, r.versions, r.ids, r.types, r.schemaVersions,
		r.recordedAt, r.correlationIDs, r.causationIDs, r.principals, r.payloads, r.hashes)
	queueHeads(b, g, head)
	b.Queue("COMMIT")
	return conn.SendBatch(ctx, b).Close()
}

// queueHeads queues the statements that end every appending transaction
// but its COMMIT: the new heads of the group's streams, the log's new
// head, and the notification.
func queueHeads(b *pgx.Batch, g *group, head uint64) {
	names, versions, hashes := g.changedHeads()
	b.Queue(`INSERT INTO hive.streams (stream, version, hash)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bytea[])
		ON CONFLICT (stream) DO UPDATE SET version = excluded.version, hash = excluded.hash`,
		names, versions, hashes)
	b.Queue("UPDATE hive.head SET position = $1", int64(head))
	b.Queue("SELECT pg_notify($1, $2)", notifyChannel, strconv.FormatUint(head, 10))
}
