package pgstore

import (
	"context"
	"fmt"
	"math"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"hive/events"
)

// Import implements events.Importer. It holds the log's head lock, like
// an append, checks that envs continue the log and each stream's chain,
// and writes them with COPY in one transaction: a bulk restore runs at
// COPY's speed rather than one append's round trips per stream.
func (s *Store) Import(ctx context.Context, envs []events.Envelope) error {
	if len(envs) == 0 {
		return ctx.Err()
	}
	if err := checkImport(envs); err != nil {
		return err
	}
	if err := s.begin(ctx); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if err := s.importTx(ctx, envs); err != nil {
		return translate(ctx, "import", err)
	}
	s.stats.commits.Add(1)
	s.stats.events.Add(uint64(len(envs)))
	s.commits.Broadcast()
	return nil
}

// checkImport checks what can be checked of envs without the database:
// well-formed names, types, metadata and recorded times, ids unique,
// positions strictly increasing. Sizes are not checked: the events were
// accepted once, perhaps by a store with a larger limit.
func checkImport(envs []events.Envelope) error {
	seen := make(map[uuid.UUID]struct{}, len(envs))
	for i := range envs {
		e := &envs[i]
		ev := events.Event{ID: e.ID, Type: e.Type, RecordedAt: e.RecordedAt, Metadata: e.Metadata}
		if err := events.ValidateAppend(e.Stream, []events.Event{ev}, math.MaxInt); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		if e.RecordedAt.IsZero() {
			return fmt.Errorf("%w: import: event %s has no recorded time", events.ErrInvalidArgument, e.ID)
		}
		if err := checkText(&ev); err != nil {
			return err
		}
		if _, dup := seen[e.ID]; dup {
			return fmt.Errorf("%w: import: event id %s appears twice", events.ErrInvalidArgument, e.ID)
		}
		seen[e.ID] = struct{}{}
		if i > 0 && e.Position <= envs[i-1].Position {
			return fmt.Errorf("%w: import: position %d follows position %d", events.ErrInvalidArgument, e.Position, envs[i-1].Position)
		}
		if e.Position > uint64(clampInt64(e.Position)) || e.Version > uint64(clampInt64(e.Version)) {
			return fmt.Errorf("%w: import: event %s's position or version exceeds PostgreSQL's bigint", events.ErrInvalidArgument, e.ID)
		}
	}
	return nil
}

// importTx writes envs in one transaction, after checking them against
// the log's head, the streams' heads and the stored ids.
func (s *Store) importTx(ctx context.Context, envs []events.Envelope) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release() // closed by the pool if left inside the transaction
	g := newImportGroup(envs)
	if err := g.load(ctx, conn); err != nil {
		return err
	}
	if err := g.check(envs); err != nil {
		_, _ = conn.Exec(ctx, "ROLLBACK")
		return err
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"hive", "events"}, importColumns, copySource(envs)); err != nil {
		return err
	}
	b := &pgx.Batch{}
	queueHeads(b, g, envs[len(envs)-1].Position)
	b.Queue("COMMIT")
	return conn.SendBatch(ctx, b).Close()
}

// newImportGroup returns a group for checking envs: its streams and ids
// are those of envs.
func newImportGroup(envs []events.Envelope) *group {
	g := newGroup(nil)
	byStream := make(map[string]*request)
	for i := range envs {
		e := &envs[i]
		r := byStream[e.Stream]
		if r == nil {
			r = &request{stream: e.Stream}
			byStream[e.Stream] = r
			g.reqs = append(g.reqs, r)
		}
		r.evs = append(r.evs, events.Event{ID: e.ID})
	}
	return g
}

// check checks envs against the database as load found it: positions
// after the log's head, no id already stored, each stream's versions
// continuing it and each hash chaining from the one before.
func (g *group) check(envs []events.Envelope) error {
	if first := envs[0].Position; first < g.next {
		return fmt.Errorf("%w: import: position %d does not follow the log's head %d", events.ErrInvalidArgument, first, g.next-1)
	}
	for id, loc := range g.stored {
		return fmt.Errorf("%w: import: event %s is already stored as %s version %d", events.ErrInvalidArgument, id, loc.Stream, loc.Version)
	}
	links := events.NewLinkChecker()
	for i := range envs {
		e := &envs[i]
		head := g.heads[e.Stream]
		if e.Version != head.version+1 {
			return fmt.Errorf("%w: import: %s version %d does not follow version %d", events.ErrInvalidArgument, e.Stream, e.Version, head.version)
		}
		if err := links.Check(&head.hash, e); err != nil {
			return fmt.Errorf("%w: import: %w", events.ErrInvalidArgument, err)
		}
		if !g.isChanged[e.Stream] {
			g.isChanged[e.Stream] = true
			g.changed = append(g.changed, e.Stream)
		}
		g.heads[e.Stream] = streamHead{version: e.Version, hash: e.Hash}
	}
	return nil
}

// importColumns are the columns of hive.events in copySource's order.
var importColumns = []string{"position", "stream", "version", "id", "type", "schema_version", "recorded_at",
	"correlation_id", "causation_id", "principal", "payload", "hash"}

func copySource(envs []events.Envelope) pgx.CopyFromSource {
	return pgx.CopyFromSlice(len(envs), func(i int) ([]any, error) {
		e := &envs[i]
		return []any{int64(e.Position), e.Stream, int64(e.Version), pgUUID(e.ID), e.Type, int64(e.SchemaVersion),
			e.RecordedAt.UnixNano(), e.CorrelationID, e.CausationID, e.Principal, nonNil(e.Payload), e.Hash[:]}, nil
	})
}
