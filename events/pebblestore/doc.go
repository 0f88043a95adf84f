// Package pebblestore is Hive's default event store: embedded, durable, and
// built on cockroachdb/pebble. It implements events.Store and passes the
// storetest conformance suite.
//
// # Why pebble
//
// Pebble is a pure-Go LSM key-value store (no cgo) that CockroachDB runs in
// production. Its write-ahead log gives atomic, checksummed, crash-safe
// batches, and its iterators give ordered scans. The store therefore has no
// file format of its own: every record is a pebble key and value, and crash
// recovery, checksums, compaction and caching are pebble's.
//
// # Key layout
//
// Four key spaces, each behind one prefix byte, so that each can be
// scanned with tight bounds:
//
//	'l' position(8, big-endian)               -> hive.v1.StoredEvent   the global log
//	's' stream 0x00 version(8, big-endian)    -> position(8)           the stream index
//	'i' id(16)                                -> position(8)           the event-id index
//	'n' stream                                -> hive.v1.StoredSnapshot the newest snapshot
//
// Events are stored once, as protobuf hivev1.StoredEvent messages in the
// global log; both indexes point into it by position. Positions are dense
// and start at 1, so the head (the newest position) is the last 'l' key,
// found with one seek on Open. Stream names never contain NUL, so the 0x00
// terminator keeps the keys of stream "a" apart from those of "ab". All
// three records of an event are written in the same batch.
//
// # Writing: group commit
//
// Append validates and copies its events in the caller's goroutine and
// queues a request. Two goroutines, started by Open and stopped by Close,
// do the rest:
//
//   - The writer owns the write path's state: the next position, and a
//     bounded cache of stream heads (version and last hash), loaded from the
//     stream index on a stream's first append after Open and only ever
//     filled with committed heads. It takes a request and every request
//     already waiting into a group, and checks each in order: idempotency
//     (events.CheckReplay, against pebble and the events staged before it),
//     then the expected version against the stream's head as the staged
//     requests leave it. It assigns versions, positions, the recorded time
//     (the event's own RecordedAt, or the group's start, in UTC) and the
//     hash chain (events.ChainHash), and encodes the events
//     (eventpb.Encoder).
//     A request that fails a check gets its own error and stages nothing;
//     two requests for one stream in one group see each other.
//   - The committer commits a group's pebble batch with pebble.Sync (one
//     fsync for the whole group), then publishes the new head, broadcasts
//     the commit signal and answers every request of the group.
//
// A group's batch holds its log records in position order, then its id
// index entries sorted, then its stream index entries sorted: pebble's
// memtable inserts keys in key order far faster than in random order. The
// idempotency check looks ids up by seeking one iterator through them in
// sorted order; as ids are UUIDv7 (time-ordered), a new id sorts after the
// stored ones and costs next to nothing.
//
// While the committer commits one group, the writer keeps adding the
// appends that arrive to the next one, and hands it over once the
// committer is free (it checks between two requests): a group holds
// everything that arrived during the previous fsync, and the CPU work of
// staging overlaps that fsync. When the committer frees up, the writer
// first lingers, for at most Config.MaxCommitDelay and never longer than
// the last commit took, for Append calls already under way that have not
// reached it yet (typically the callers just answered, coming back): they
// then share the next fsync instead of waiting for the one after. A lone
// caller never waits. At most
// one group commits and one is staged; the staged one builds on the one
// committing, which is why groups are committed and answered strictly in
// order, and why a failed commit fails every later group too.
//
// If a commit fails, its requests get the error, the published head and the
// head cache stay as they were, and the store refuses every later append
// with that error: it is sticky, and the store must be reopened. (Whether
// the failed batch reached the WAL is unknown, as with a lost reply: after
// reopening, a retry with the same event ids settles it.)
//
// # Reading
//
// ReadAll, ReadStream and Head go straight to pebble with iterators, never
// through the writer, and bound every scan by the published head, so they
// never see a group before its fsync has completed. SubscribeAll pages
// through ReadAll and waits for the commit signal (events.NewSubscription).
//
// # Offline tools
//
// OpenReadOnly opens a directory for the audit tools: pebble in ReadOnly
// mode (the WAL replayed in memory, no file written), no writer or
// committer, appends and snapshot saves refused with ErrReadOnly. It takes
// the directory lock like Open, so it is refused (ErrInUse) while a server
// holds the directory, and a server cannot open it meanwhile. Verify checks
// the log and both indexes against each other (see its documentation);
// ScanStored hands out the stored records undecoded, for a binary export.
// A read-only store turns pebble's fatal errors into ErrFatal errors and
// reports corrupt data as the error of the read that met it, so that an
// offline tool always says why it stopped (see readOnlyLogger).
//
// # Log damage
//
// Pebble replays its write-ahead log on Open and, where it cannot tell
// damage from a write torn by a crash (a damaged last block, a truncated
// or deleted file), silently drops the rest: acknowledged events would be
// lost, and their positions handed to new events. So the store keeps its
// own evidence of how far the log went, the head mark (Mark, in the file
// MarkFile beside pebble's): the committer records the position and hash
// of each group's last event after the group's fsync and before answering
// it, without an fsync of its own but with one at least every second and
// on Close; two checksummed slots, written in turn, survive a torn write.
// Open first opens pebble read-only (which writes nothing: a damaged log
// stays as it is, to be looked at) and refuses, with ErrLogDamaged, a
// write-ahead log pebble cannot replay and a log that ends before the mark
// or holds another event at its position (*LogLossError). Only with
// Config.AcceptLogLoss does it go on: it cuts a damaged write-ahead log
// where the damage starts, keeping the files from there on aside, logs
// what it accepted, and resets the mark. OpenReadOnly opens a damaged log
// for reading what is left, and Verify reports the loss.
//
// The mark is never ahead of an intact log: it is written after the fsync.
// A process crash leaves it exact (the page cache keeps it); a power loss
// may take its last second, so damage within that last second of appends
// after a power loss is caught only if pebble itself sees it.
//
// # Files
//
// Open makes the directory and what pebble creates in it its owner's
// alone (0700 and 0600, whatever the umask; see privateFS), for the log
// holds task inputs and outputs, and tightens a directory created before.
// A directory another process holds is refused with ErrInUse, naming that
// process when the system says which.
//
// # Crash guarantees
//
//   - An Append that returned without error is durable: its group's batch
//     was fsynced to pebble's WAL before it was answered.
//   - An append is all or nothing: its events are in one batch, and pebble
//     replays a batch whole or not at all (a torn WAL tail is dropped).
//   - After a crash, positions are still dense, versions have no gaps, and
//     every stream's hash chain verifies: a group is committed only after
//     the group it builds on.
//   - If Append returns ctx's error after the writer took the request, the
//     events may or may not have committed, exactly as with a lost reply.
//     Retrying with the same event ids is safe: a repeat returns the
//     original result and writes nothing.
//   - Pebble reports failures it cannot survive through its logger's
//     Fatalf, whose contract is not to return. A batch it failed to commit
//     (a failed WAL write or fsync) becomes the group's error and the
//     store's sticky failure: nothing unacknowledged is acknowledged, reads
//     go on, and every later write is refused until the store is reopened.
//     Any other fatal error (detected corruption) is logged and exits the
//     process. Either way the WAL recovers every acknowledged append on the
//     next Open (see pebbleLogger.Fatalf).
//
// # Disk space
//
// A store that fills its disk must not lose its footing: pebble needs space
// to write its log, to flush a memtable into a table, and, on Open, to
// write the log it replays into tables; without it, pebble fails a commit
// for good, stalls writes, or retries a flush forever. So the writer checks
// the free space before it hands over each group (one statfs), and refuses
// the whole group with events.ErrNoSpace if committing it would leave less
// than Config.MinFreeBytes free; snapshot saves are checked the same way.
// A refused group changes nothing (the next one starts at its positions),
// so writes work again as soon as space is freed. Once the disk was found
// low, every Append is also checked as it arrives, so that it is refused
// at once even while a commit waits inside pebble.
//
// Another program may still fill the disk faster. Pebble's file system is
// then wrapped (vfs.OnDiskFull) so that a write finding the disk full
// pauses a second before its one retry: a flush that pebble retries
// forever makes one attempt a second instead of spinning, and is logged
// once a minute instead of once each. A commit that still fails is the
// sticky failure above, marked with events.ErrNoSpace. Close waits at
// most closeWait for a commit stuck in pebble for want of space.
//
// Open first checks that the disk has room for the log it replays (the
// size of the *.log files, and a little more) and fails at once with
// events.ErrNoSpace, saying how much it needs, rather than letting pebble
// retry forever on a full disk.
//
// # Concurrency
//
// Store methods are safe for concurrent use. The store's only lock is
// Store.dbMu (events.Signal has its own, taken alone): readers hold it
// shared while they use pebble; Close takes it exclusively, after stopping
// the writer and committer, to close pebble, so that no read ever touches a
// closed database. The writer and committer never take it. They share
// atomics (the published head, the sticky failure, the counters) and the
// groups the writer hands the committer through a channel; the writer
// still reads a committing group's heads and ids, which the committer never
// touches, and reuses the group only after the committer is done with it.
package pebblestore
