// Package events defines Hive's event log: the envelope every recorded
// decision travels in, the store contract every backend implements, and the
// hash chain that makes tampering detectable.
//
// # Streams, versions and positions
//
// Every entity owns one stream, named "<kind>-<id>". Events in a stream are
// numbered by version, starting at 1; a stream's current version is the
// version of its last event, and 0 means the stream does not exist.
//
// Every event also has a global position in the store's single ordered log.
// Positions strictly increase in commit order but need not be dense (the
// in-memory store deliberately leaves gaps, as EventStoreDB does), so readers
// never compute positions: they resume "after" the last position they saw.
//
// # Guarantees
//
//   - Append is atomic: all of a call's events become visible together, or
//     none do. An append that returned without error is durable.
//   - Optimistic concurrency: Append checks the caller's ExpectedVersion
//     against the stream's current version and fails with a
//     *WrongExpectedVersionError carrying the actual version.
//   - Idempotency: appending events whose ids are already stored, in the same
//     stream and in the same order, returns the original result and writes
//     nothing. Reusing an id anywhere else fails with ErrDuplicateEventID.
//   - Order: ReadAll and SubscribeAll deliver events in position order; a
//     subscription switches from catching up to live without a gap or a
//     duplicate, whatever appends run concurrently.
//   - Integrity: each event carries SHA-256(previous hash in its stream ‖
//     canonical bytes of the event); VerifyChain checks a stream.
//
// Backends live in sub-packages (memstore, pebblestore) and all pass the
// conformance suite in storetest.
package events
