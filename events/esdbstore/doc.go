// Package esdbstore is an events.Store (and events.SnapshotStore) on
// EventStoreDB, or its successor KurrentDB: the store for deployments that
// outgrow one machine. Open connects with a connection string:
//
//	esdb://[user:password@]host[:port][,host[:port]...][?settings]
//	esdb+discover://...      the cluster's leader, found through gossip
//	kurrentdb://...          KurrentDB's name for the same
//	kurrentdb+discover://...
//
// # The client
//
// The store uses github.com/kurrent-io/KurrentDB-Client-Go (v1.4.2), the
// successor of github.com/EventStore/EventStore-Client-Go/v4 (v4.2.0). Both
// speak the same gRPC protocol to EventStoreDB 20.10 and later and to
// KurrentDB; the newer one is clearly better for Hive, from reading both:
//
//   - Its calls wait for a connection only as long as their context allows;
//     v4's wait for the whole discovery (ten attempts by default) whatever
//     the context, so neither Open nor a request's deadline could be
//     bounded while a server is away.
//   - v4's Close closes a channel that concurrent calls send on: a call
//     racing Close (a request in flight at shutdown) panics with "send on
//     closed channel". The newer client closes through a done channel.
//   - Its subscriptions pass their errors through the client's error
//     handling (reconnecting to the leader on "not leader"), and report the
//     position of a caught-up message.
//   - It parses both URL families, esdb:// and kurrentdb:// (with or
//     without +discover), so no scheme needs translating.
//   - Its module requires little (gRPC and protobuf); v4's go.mod pulls
//     testcontainers and Docker's modules into every build's module graph.
//
// Both clients close themselves for good when they fail to rediscover a
// server that went away; the store then makes a new client (see conn.go),
// so it reconnects however long the server was gone.
//
// # Mapping
//
//   - Streams map one to one: Hive's stream "agent-1" is EventStoreDB's
//     stream "agent-1", or "<prefix>agent-1" with Config.StreamPrefix.
//     Names starting with "$" are EventStoreDB's system streams; the store
//     refuses them (events.ErrInvalidArgument) and does not count them as
//     Hive's.
//   - Hive's version v is EventStoreDB's revision v-1.
//   - Expected versions map onto the client's StreamState: Any to Any,
//     NoStream (and Exact(0)) to NoStream, StreamExists to StreamExists,
//     Exact(v) to StreamRevision v-1. But see the hash chain below: the
//     store decides the condition itself and sends EventStoreDB the exact
//     revision it read.
//   - An event's EventStoreDB id is the envelope's id (the store never lets
//     the client invent one: events.ValidateAppend refuses a nil id), its
//     type is the envelope's type, its data the payload bytes as given
//     (content type application/octet-stream), and its metadata is JSON
//     holding the rest: {"$correlationId", "$causationId" (EventStoreDB's
//     own keys), "principal", "schemaVersion", "recordedAt" (Unix
//     nanoseconds: EventStoreDB's "created" is the server's clock in 100 ns
//     ticks), "hash" (hex)}. An event in one of Hive's streams without this
//     metadata fails reads with ErrForeignEvent: the database, or the
//     prefix, is Hive's alone.
//
// # Positions and order
//
// EventStoreDB's $all is one log; an event's place in it is a commit and a
// prepare position (byte offsets in the log, not counters). Events of one
// append were once said to share a commit position, and for the events of
// explicit transactions (of the legacy TCP API) they do. But every
// append through the gRPC API, which is all Hive uses, is written as one
// prepare record per event, each flagged as committed: EventStoreDB's $all
// reader reports each such event at its own log position, as both commit
// and prepare position. The store relies on that:
//
//   - Hive's Position is the prepare position. It is unique and increases
//     along $all, and it needs no gaps filled: positions are not dense, as
//     the contract allows. Archives therefore cannot keep their positions
//     here, and the store does not implement events.Importer: archives are
//     restored through Append.
//   - ReadAll(after) reads $all forwards from (after, after), the exact
//     position of the event at after. EventStoreDB's reads include their
//     starting event, which the store drops, so a page never skips an
//     event nor repeats one. It leaves out events not in Hive's streams and
//     reads on until it has the page or reaches the end of the log.
//   - An event whose commit and prepare positions differ (one written in an
//     explicit transaction) fails the read with ErrForeignEvent rather than
//     take a position that could make a reader skip or repeat events.
//   - Stream reads return positions from EventStoreDB 22.6 on; Open refuses
//     older servers.
//   - EventStoreDB makes events readable in log order (its index commits in
//     the order of the log), so a reader of $all cannot see an event before
//     an earlier one: there is no ordering trap to guard against.
//   - Head reads $all backwards from the end past events that are not
//     Hive's.
//
// # The hash chain
//
// EventStoreDB does not compute Hive's hashes; the store does, and it must
// not let two writers chain from the same event. Append reads the stream's
// newest events, checks the caller's ExpectedVersion against the version
// it read, chains the new events from the newest one's hash, and appends
// with that exact revision as EventStoreDB's expected revision (NoStream
// for a new stream). If another writer appended in between, EventStoreDB
// refuses with WrongExpectedVersion, nothing is written, and Append
// decides again from a fresh read: an exact expectation then fails with
// *events.WrongExpectedVersionError carrying the new version, Any retries.
// Two chains can thus never fork from one event. After 16 refusals in a row
// Append gives up with a *events.WrongExpectedVersionError whatever the
// expectation. Recorded times are stamped by the store (the caller's clock)
// before the append, as the hash covers them.
//
// # Idempotency
//
// A retried append (after events.ErrUnavailable or a deadline, when the
// first attempt may have been stored) must return the original result and
// write nothing. The store recognises repeats itself, from the events it
// reads before appending:
//
//   - With an exact expectation the stream is past (Exact(v), NoStream),
//     the repeat would be at versions v+1...: the store reads them, at any
//     depth, as EventStoreDB's own check for an exact revision does.
//   - With Any or StreamExists there is no place to look but the stream's
//     newest events: the store recognises a repeat among the newest
//     Config.ReplayWindow events (16 by default, and never fewer than the
//     append has), which covers a retry right after a failure. A repeat
//     further back is appended again.
//     EventStoreDB's own check for Any (a cache of recent event ids, lost
//     at restart) is not used: the store always sends an exact revision,
//     for the chain's sake.
//   - An id reused in another stream is not detected: EventStoreDB keeps no
//     index of event ids across streams, and writes such an event as a new
//     one. Reuse within the stream, out of order or mixed with new ids,
//     fails with events.ErrDuplicateEventID as the contract says.
//
// These two limits are declared to the conformance suite with
// storetest.IDsCheckedPerStream and storetest.ReplayWindow, which check
// what the store does instead.
//
// # Subscriptions
//
// SubscribeAll opens a catch-up subscription to $all, filtered on the
// server to Hive's streams (a regular expression excluding "$" streams, or
// the prefix), from the start or from the event at after, which
// EventStoreDB skips. The server switches from stored to live events
// itself, without a gap or a duplicate, and says when it has caught up.
// When the server drops the subscription (restart, lost connection, a slow
// consumer), the store subscribes again from the last event it received,
// waiting 50 ms to 2 s between attempts, and drops any event at or before
// it; the reader sees nothing but a pause. Access denied, refused
// credentials, or an event it cannot read end the subscription: Next
// returns that error from then on.
//
// # Snapshots
//
// A stream's snapshots are events of the system stream
// "$snapshot-<stream>", whose metadata ($maxCount 1, set when it is made)
// lets EventStoreDB's scavenger drop all but the newest. SaveSnapshot
// appends with the revision of the snapshot it read, so a concurrent save
// of an older snapshot cannot replace a newer one. Being system streams,
// they are not in ReadAll or SubscribeAll. Writing them needs the right
// to write system streams ($admins by default), as reading $all does.
//
// # Errors
//
// The client's failures become the contract's errors: a server that cannot
// be reached, restarts, is not the leader, or does not answer within the
// client's own deadline gives events.ErrUnavailable (for an append the
// outcome is then unknown, and a retry is idempotent, as above); a caller's
// deadline or cancellation gives its context's error; an append over the
// server's size limit (1 MiB per append by default) gives
// events.ErrInvalidArgument; refused credentials and access give
// ErrUnauthenticated and ErrAccessDenied.
//
// The client has pitfalls the store guards against: it gives an event
// without an id a random one (so retries would duplicate it: the store
// never sends one), its subscriptions start at the end unless told
// otherwise (the store always gives a start), and it reports a missing
// stream only on a read's first Recv (the store turns that into
// events.ErrStreamNotFound). It also stops the process (log.Fatalf) on an
// event without EventStoreDB's "created" system metadata; servers always
// send it, and the client leaves no way to intercept it.
//
// # Testing
//
// The tests run the conformance suite (storetest) and the store's own
// tests against esdbdouble, an in-process test double of EventStoreDB that
// can also fail on command. With HIVE_TEST_ESDB_URL set to a real server's
// URL, the conformance suite runs against that server too, each test under
// a prefix of its own.
package esdbstore
