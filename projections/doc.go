// Package projections builds Hive's read models from the event log.
//
// # Delivery and checkpoints
//
// Each projection reads the store's ordered log through its own
// subscription, starting after its own checkpoint: the position of the last
// event it applied, which it keeps together with its state, so that state
// and checkpoint always agree. Events reach a projection exactly once and in
// global order; a projection never skips an event. The read models of this
// package live in memory, so their checkpoint starts at zero and the runner
// rebuilds them from the log at start-up.
//
// # Failure
//
// If a projection fails to apply an event, the runner stops that projection,
// logs the event's stream, version and type with the error, sets
// hive_projection_failed, and reports the failure through Health: the read
// model stays at the last event it applied and the server stops being ready.
//
// # Consistency
//
// Read models are eventually consistent with the log. A writer that knows the
// position of its last event waits with Runner.WaitFor until every
// projection has reached it, and then reads its own writes.
package projections
