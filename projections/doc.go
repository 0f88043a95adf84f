// Package projections builds Hive's read models from the event log.
//
// # Delivery
//
// The log is read once per process, by an events.Tail (cmd/hive shares one
// between the runner, the reactions router and the relay; without one the
// runner runs its own). The runner is one follower of the tail, from the
// lowest checkpoint of its projections: it takes the events in batches of
// up to 256, from the store while it is behind (at start, or when it fell
// further behind than the tail's ring holds) and from the tail's ring
// after that, and applies each batch to each projection in turn, in one
// goroutine, skipping for each the events it applied already. Every event
// names the position of the event before it, so the runner knows when the
// ring no longer holds the next one. Events reach a projection exactly
// once and in global order, and each event is decoded once
// (events.Committed), for all the projections, which only read it.
// Projections that apply a batch under one lock (Batcher) get the batch at
// once. A projection that is slow holds the others up: they are all in
// memory, applied in microseconds an event, and a reader that waits for
// its writes (WaitFor) waits for all of them anyway.
//
// # Checkpoints and state
//
// A projection's checkpoint is the position of the last event it applied,
// kept together with its state. Persistent projections encode both as one
// value, which the runner saves atomically in a StateStore (Dir keeps one
// file per projection in the data dir) every SaveInterval (one projection
// at a time, in turn, spread over the interval) and when it stops, and
// restores when it starts: a restart resumes from the saved checkpoint
// instead of replaying the whole log. A state that cannot be
// read is rebuilt from position zero, which gives the same read model (a
// test checks this on long random histories).
//
// # Live changes
//
// Live projections report which rows an event changed. For events after
// the runner started, the runner publishes them on the bus as Change
// values, for live clients (GET /v1/live): one message per projection and
// batch of events applied (NewChangesMessage), whose metadata lists each
// change's topic and where its JSON ends, so that the live hub routes the
// changes without parsing them (SplitChanges).
//
// # Failure
//
// If a projection fails to apply an event, the runner stops that projection,
// logs the event's stream, version and type with the error, sets
// hive_projection_failed, and reports the failure through Ready and Lag: the
// read model stays at the last event it applied and the server stops being
// ready. A store that cannot be reached (events.ErrUnavailable) is no
// failure: the projection's follower reads again after a pause (see
// events.Follower.Poll) and goes on from its checkpoint once the store is
// back, with no gap and no duplicate.
//
// # Consistency
//
// Read models are eventually consistent with the log. A writer that knows the
// position of its last event waits with Runner.WaitFor until every
// projection has reached it, and then reads its own writes.
package projections
