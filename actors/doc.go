// Package actors hosts Hive's entities as supervised, event-sourced
// protoactor-go actors. The entities' decisions live in their own packages,
// as pure functions of state and command: actors/agent (an agent process),
// actors/swarm (a group of agents: membership, task queue and assignment,
// consensus), actors/workflow (a run of a DAG of steps) and
// actors/definition (a saved, versioned DAG runs start from). Two followers of
// the log connect them: actors/reactions carries one entity's decisions to
// the others as commands, and actors/timers wakes entities whose recorded
// deadlines have passed.
//
// # Supervision tree
//
//	root (protoactor guardian)
//	├── agent               supervisor of the "agent" kind
//	│   ├── agent/<id>      one entity actor per agent, spawned on first command
//	│   └── …
//	├── swarm               supervisor of the "swarm" kind
//	│   └── swarm/<id>      …
//	├── workflow            supervisor of the "workflow" kind (runs)
//	│   └── workflow/<id>   …
//	└── definition          supervisor of the "definition" kind
//	    └── definition/<id> …
//
// # Between entities
//
//	workflow ──StepDispatched──▶ swarm.SubmitTask ──TaskAssigned──▶ agent.StartTask
//	                                                              └▶ workflow.RecordAssignment
//	swarm ──TaskCompleted / TaskFailed──▶ workflow.CompleteStep / FailStep, agent.FinishTask
//	agent ──Joined/Left/Lost/Recovered/Draining──▶ swarm membership
//
// No entity calls another: each decides on its own state, and the
// reactions router (actors/reactions) sends the next entity a command
// derived from the event. Commands it may send twice after a crash are
// idempotent (see actors/reactions).
//
// A supervisor routes each request to its entity's actor by id, spawning it
// if needed, and restarts an actor that panics after a backoff that doubles
// with each failure (Config.InitialBackoff up to Config.MaxBackoff); past
// Config.MaxRestarts failures within Config.RestartWindow the actor is
// stopped and the next command starts a fresh one.
//
// The actors' mailboxes run on goroutines the runtime keeps (dispatcher),
// at most 256 of them waiting between runs, all stopped by Shutdown:
// an entity's recovery reads the store with a deep stack, which a new
// goroutine per mailbox run would grow again each time.
//
// # Messages
//
// Ask sends a request (Command plus the caller's context) to the kind's
// supervisor, which forwards it to the entity's actor; the actor answers
// with a reply (Result or error) on the request's own channel, which Ask
// waits on for Config.AskTimeout (no protoactor future per command). The supervisor passivates
// an actor idle for Config.IdleTimeout, and one whose entity has come to
// rest (Resting: a workflow run that ended) as soon as it has answered
// what it was sent, so that finished runs do not stay in memory; requests
// that arrive while it stops wait in the supervisor and go to a fresh
// actor.
//
// # Persistence
//
// An entity's stream is "<kind>-<id>" (Ref.Stream). Before deciding, the
// actor recovers its state from the stream (snapshot first, see below); an
// entity whose stream does not exist yet, or is shorter than
// Config.SnapshotEvery, costs one read of the stream.
// Requests that arrive while it writes wait in its inbox; it then decides
// them together, in order, each with the entity's pure Decide on the state
// the previous ones left (their events applied ahead of being durable),
// appends all their events in one append with the stream version it knows
// as expected version, and replies only once that append is durable:
// persist, then reply. A busy entity so shares one fsync among the
// commands that queued behind a write. A version conflict (a writer
// elsewhere) makes it recover and decide the batch again; any other append
// failure leaves the outcome unknown, so every command of the batch whose
// answer rested on the unwritten events is answered with the failure, and
// the actor rebuilds its state from the stream before its next decision. A
// panic is answered with ErrEntityFailed to the batch and restarts the
// actor, which recovers from the stream. The I/O runs to completion even if
// the callers give up, bounded by Config.WriteTimeout. A command's
// Result.LastPosition is the position of the batch's last event: at or
// after its own, so a read that waits for it sees the command.
//
// # Metadata
//
// Every event records its command's principal, its command's id as its
// causation id and, as its correlation id, the command's (the command's own
// id if it has none), unless the entity is a Correlator and gives the
// event another: the events of a workflow run, of a task and of an agent's
// task in flight keep the correlation id of the request that started the
// run or submitted the task, whoever sends the command that decides them.
// A reaction carries the correlation id of the event it reacts to, and
// that event's id as its causation id, so one run's correlation id ties
// the run, its tasks and its agents' work together.
//
// # Snapshots
//
// An entity that is a Snapshotter, on a store that is an
// events.SnapshotStore, is snapshotted once it has appended, since its last
// snapshot, Config.SnapshotEvery events whose payloads add up to at least
// that snapshot's size (after the append that crosses both marks, from the
// actor): a large state is encoded no more often than its events pay for,
// and a recovery applies at most SnapshotEvery events or a snapshot's
// worth of event bytes after its snapshot. Recovery first reads the
// stream's first SnapshotEvery events: a stream no longer than that (a new
// entity's, most often) has no snapshot and is recovered from them alone,
// in one read of the store. A longer one
// restores the newest snapshot and applies only the events after it. A
// snapshot that cannot be loaded or restored is logged and ignored: the
// entity then recovers from its whole stream; but a store that cannot be
// reached (events.ErrUnavailable) fails the recovery, and the commands
// waiting for it, and the next command tries the snapshot again. A
// snapshot holds the live state: an entity that keeps a bounded memory of its recent past (a
// swarm's recently finished tasks, to recognize commands sent again) is a
// Recaller, whose snapshots leave that memory out; after restoring one,
// the runtime hands it its events from RecallFrom up to the snapshot's
// version to rebuild it (RestoreSnapshot), so that a snapshot's size and
// cost do not grow with the entity's history, and a recovery reads a
// bounded number of events more.
//
// # Addressing
//
// Entities are addressed by Ref (kind and id) only. Moving them onto
// protoactor-go cluster grains means replacing the supervisor lookup in Ask
// with the cluster's identity lookup; the entity actor stays as it is.
package actors
