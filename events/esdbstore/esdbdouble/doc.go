// Package esdbdouble is a test double of EventStoreDB, not a database: an
// in-process gRPC server implementing the KurrentDB Go client's own
// generated server interfaces (Streams, ServerFeatures, Gossip), holding
// its data in memory, so that esdbstore's tests run where no EventStoreDB
// server can be installed. Start one with Start(t) and connect to URL().
// The same tests run against a real server when one is given (see
// esdbstore's tests).
//
// # What it enforces
//
// The semantics EventStoreDB documents and its server code implements
// (index writer, index reader, $all reader, subscription enumerators):
//
//   - Appends check the expected revision: any, no stream, stream exists
//     (a stream with events, or with metadata), or an exact revision;
//     otherwise they answer WrongExpectedVersion with the stream's current
//     revision. Each event needs a type and a content type, and an append
//     is limited to DefaultMaxAppendSize bytes.
//   - Idempotency by event id: an append expecting a revision the stream
//     is past is idempotent if the events after that revision carry its
//     ids, in order (it answers success at the original events, writing
//     nothing); a partial repeat answers WrongExpectedVersion. An append
//     expecting any revision or an existing stream is checked against the
//     committed-event cache, which maps ids to streams: ids stored in the
//     same stream make it idempotent, an id stored in another stream does
//     not (the events are written again there). EventStoreDB's cache is
//     bounded; the double's holds every id.
//   - $all is one log in commit order. Every event has its own log
//     position, a byte offset (not a counter), which is both its commit and
//     its prepare position, as for every event EventStoreDB writes through
//     its gRPC API. The log starts with a system event.
//   - Reads of a stream forwards and backwards over EventStoreDB's ranges
//     (a backward read starting past the stream's end finds nothing unless
//     its range reaches back into the stream), honouring the stream
//     metadata's $maxCount and $tb; a missing stream is reported as
//     StreamNotFound in the read, not as an error. Reads of $all forwards
//     (from a position, inclusive) and backwards (exclusive), with a
//     filter on stream names or event types, by prefixes or a regular
//     expression.
//   - Catch-up subscriptions to a stream or to $all, optionally filtered:
//     a confirmation, the stored events after the start (a subscription
//     from a position skips the event at it), a caught-up message on
//     reaching the end of the log, then new events as they commit;
//     filtered ones report checkpoints.
//   - Events carry the system metadata EventStoreDB always sends: type,
//     content type and "created" (without which clients cannot read an
//     event).
//   - Gossip names the double itself as the cluster's one leader, so that
//     esdb+discover:// and kurrentdb+discover:// URLs work.
//
// It does not model deletes, tombstones, batch appends, persistent
// subscriptions, projections, access control or TLS: it serves insecure
// gRPC (tls=false), and credentials are never sent over it.
//
// # Failing on command
//
// Inject arms a Fault for the next calls of an Op: Unavailable (the call
// fails as on a restarting server), Hang (the call waits for the client's
// deadline), Unauthenticated, AccessDenied, WrongExpectedVersion (an
// append is answered as if another writer had just moved the stream) and
// CommitThenUnavailable (an append is written, then fails, so that the
// client cannot know). DropSubscriptions ends every open subscription with
// an error; Stop takes the server down, keeping its data, and Listen
// brings it back on the same address.
package esdbdouble
