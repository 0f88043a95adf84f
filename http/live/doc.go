// Package live streams read-model changes to live clients (GET /v1/live) as
// server-sent events.
//
// # Flow
//
// A Hub consumes one Watermill subscription: each message's payload is a
// JSON array of projections.Change, one message per applied batch of events
// and projection, made by projections.NewChangesMessage, whose metadata
// lists each change's topic and where its JSON ends in the payload. The hub
// routes each change by that list (projections.SplitChanges), without
// parsing the JSON, and skips a message the list does not fit. It numbers
// every change it receives (seq, one more per change, over all topics),
// encodes it once as an SSE frame (`id: <epoch>-<seq>`, `event: change`,
// `data: <Change JSON>`), keeps the newest frames in a bounded ring buffer,
// and hands each frame to the subscriptions of its topic, found through an
// index by topic. It acknowledges each message as soon as it has been
// handed out.
//
// # Guarantees
//
//   - Order: a subscription gets its topics' changes in seq order.
//   - Resume: a subscription made with the id of the last change a client
//     received (Last-Event-ID) gets every change of its topics after that
//     id, then the live ones, with no gap and no duplicate, as long as the id
//     is from this hub (its epoch, which changes when the server restarts)
//     and no older than the ring buffer. Otherwise the stream is one `resync`
//     event: the client reads the views again and reconnects without an id.
//   - Isolation: the hub never waits for a client. Each subscription has a
//     bounded buffer; a subscription whose buffer is full is dropped, and its
//     stream ends with a `resync` event (if the client still reads).
//   - Hello: a new stream starts with `event: hello`, data
//     {"epoch","last_id"}; last_id is the newest change the hub had when the
//     subscription was made, so a client that reads the views after the
//     hello and applies the changes after last_id misses nothing.
//   - Shutdown: when Run returns, every stream ends and Subscribe fails with
//     ErrClosed.
//
// # Concurrency
//
// Run is the only goroutine that receives changes; Subscribe, Stream and
// Close are called by each client's own goroutine (the HTTP handler's). One
// mutex guards the ring and the index; the hub holds it while it hands out
// one message's frames, never while writing to a client. Each
// subscription's queue has its own mutex, taken after the hub's (when the
// hub adds a frame) or alone (when the writer takes the frames waiting).
//
// # Metrics
//
// hive_live_clients (streams open), hive_live_changes_received_total,
// hive_live_changes_delivered_total (frames handed to streams),
// hive_live_clients_dropped_total{reason} (streams ended with resync),
// hive_live_ring_changes and hive_live_ring_bytes (what the ring holds).
package live
