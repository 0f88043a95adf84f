// Package pgstore is Hive's PostgreSQL event store, on pgx. It implements
// events.Store, events.SnapshotStore and events.Importer, and passes the
// storetest conformance suite. Several Hive processes may share one
// database: they see one log, in one order.
//
// # Schema
//
// Open creates and migrates the schema "hive" itself: versioned
// migrations, each applied once and recorded in hive.migrations, all in
// one transaction under a transaction-level advisory lock, so that nodes
// starting at once take turns and each finds the schema as the one before
// left it. A database migrated by a newer Hive is refused
// (ErrSchemaTooNew).
//
//	hive.events     position bigint PK, stream text, version bigint,
//	                id uuid UNIQUE, type text, schema_version bigint,
//	                recorded_at bigint (Unix nanoseconds), correlation_id,
//	                causation_id, principal text, payload bytea, hash bytea;
//	                UNIQUE (stream, version)
//	hive.streams    stream text PK, version bigint, hash bytea: each
//	                stream's head, for the version check and the chain
//	hive.head       one row: position bigint, the log's newest position
//	hive.snapshots  stream text PK, version bigint, type text,
//	                schema_version bigint, payload bytea
//	hive.migrations version integer PK, applied_at timestamptz
//
// Each event is one row of hive.events; the unique indexes serve the
// reads by stream and version and the idempotency lookup by id. Recorded
// times are kept as Unix nanoseconds, not timestamptz, which holds only
// microseconds: the hash chain covers the nanoseconds. Text columns cannot
// hold NUL, so an event whose type or metadata has one is refused with
// events.ErrInvalidArgument (stream names cannot have one anyway).
//
// # The ordering trap, and how the store avoids it
//
// Subscribers and projections read the log "after the last position I
// saw". With positions from a sequence, concurrent transactions take
// positions in one order and commit in another: a reader can see 11
// committed while 10 is still in flight, move its checkpoint past 10, and
// never see it. Readers must therefore never see a position before every
// lower one is visible.
//
// The store makes that so by serialising appending transactions on the
// one row of hive.head. Each transaction first locks it (SELECT ... FOR
// UPDATE), takes its positions from it, and writes the new head back; the
// row lock is held until the transaction ends. PostgreSQL makes a
// committed transaction visible to new snapshots before it releases its
// locks, so the next appending transaction, in whatever process, acquires
// the lock only after the previous one's events are visible, and its
// positions are higher. Positions are therefore handed out in commit
// order, and any snapshot that sees position P sees every position below
// it: a reader can never skip. Positions are also dense (1, 2, 3, ...: a
// transaction that rolls back leaves the head as it was, where a sequence
// would leave a hole), so an archive imported into an empty store keeps
// its positions. (Import keeps an archive's positions as they are, gaps
// included.)
//
// The price is that appends of all processes commit one transaction at a
// time. Group commit (below) pays it back: one transaction carries every
// append waiting for it, so the serialised part is one commit (one WAL
// flush) per group, not per event. The alternatives weigh more: reading
// only below pg_snapshot_xmin of pg_current_snapshot() (a high-water mark,
// as Marten's daemon does) lets writers run in parallel but delays every
// reader behind the oldest open transaction and needs positions that may
// have gaps; a sequence alone is the trap itself, since nextval hands out
// numbers when transactions ask, not when they commit. Nor does the store
// rely on having the only appending connection: that holds for one
// process (its one writer), but not for several Hive nodes sharing the
// database, which the row lock orders as well.
//
// # Writing: group commit
//
// Append validates and copies its events in the caller's goroutine and
// hands a request to the store's one writer goroutine, which takes it with
// every request already waiting (up to Config.MaxBatchEvents events) into
// one transaction of two round trips, BEGIN and COMMIT riding in the
// pipelines:
//
//  1. BEGIN, lock the head row and, in the same pipeline, read the heads of
//     the group's streams and look its event ids up;
//  2. decide each request on its own, in order, against the database as
//     the requests before it leave it: a repeat of an earlier append
//     (events.CheckReplay) gets that append's result, a wrong expected
//     version or a reused id its own error, and neither stages anything
//     nor affects the others; the rest get versions, positions, the
//     recorded time (their own, or the group's, in UTC) and the hash
//     chain (events.ChainHash);
//  3. insert the staged events (one INSERT ... SELECT FROM unnest of
//     column arrays), update the streams' heads and the log's head,
//     pg_notify and COMMIT, in one pipeline (a failing statement makes
//     PostgreSQL skip the rest, COMMIT included);
//  4. wake this process's subscriptions and answer.
//
// Before it starts a transaction, the writer lingers, for at most
// Config.MaxCommitDelay and never longer than the last transaction took,
// while Append calls under way have not reached it: callers just answered
// come back with their next append and share this commit instead of
// waiting for the next one, where a closed loop of writers would
// otherwise settle into two cohorts taking turns. Config.MaxBatchEvents 1
// makes every append a transaction of its own (the benchmarks compare).
//
// A transaction that fails, including a commit whose outcome is unknown
// (connection lost, Config.WriteTimeout overrun), fails every request of
// its group, with events.ErrUnavailable when the server is unreachable or
// restarting; never with success. A retry with the same event ids then
// either appends or, if the commit had happened, returns the original
// result. pgxpool replaces lost connections by itself: the store works
// again once the server is back, without being reopened.
//
// Import writes archived events with COPY in one transaction, under the
// same head lock, after checking that they continue the log and each
// stream's chain.
//
// # Subscriptions
//
// SubscribeAll is events.NewSubscription over ReadAll: catching up and
// following live are the same read after the last position delivered, so
// there is no switch-over. It waits for a commit signal, broadcast by the
// writer after each of this process's commits and, for commits of every
// process, by a listener goroutine holding a connection of its own that
// LISTENs on the "hive_events" channel, which every appending transaction
// notifies. When that connection is lost the listener reconnects (with
// backoff), LISTENs again and wakes the subscriptions once, for what it
// may have missed. A poller reads the head every Config.PollInterval and
// wakes them if it moved: the fallback for a notification lost anyway.
// A subscription whose read fails (the server is down) returns the error
// from Next and stays usable: the next Next resumes after the last event
// delivered, with no gap and no duplicate.
//
// # Reading
//
// ReadAll is one indexed range scan, ReadStream one of (stream, version);
// each sees only committed transactions, and by the ordering above never
// a position before a lower one. Rows are decoded from pgx's raw binary
// values (strings interned, payloads carved from shared blocks, each
// capped at its own length), and a page is sized from the head read in
// the same round trip. A URL that asks pgx for the simple protocol (as
// behind a pooler without prepared statements) works too, rows then
// coming as text.
//
// # Errors
//
// Driver errors are translated into the contract's: connection refused or
// lost, a server shutting down, starting up or out of connections, and
// timeouts of the store's own become events.ErrUnavailable, wrapped with
// what failed; the caller's own context errors stay themselves. Open
// fails at once, within Config.ConnectTimeout, naming the server, database
// and user and the cause (a malformed URL, an unreachable server, refused
// credentials, a missing database).
package pgstore
