package actors

import (
	"google.golang.org/protobuf/proto"

	"hive/events"
)

// Command is a request to an entity, with who sent it and why.
type Command struct {
	// ID identifies the command; the events it causes carry it as their
	// causation id.
	ID string
	// CorrelationID groups everything caused by one outside request. If
	// empty, the command's ID is used.
	CorrelationID string
	// Principal is who issued the command.
	Principal string
	// Body is the entity-specific command, e.g. agent.Register.
	Body Body
	// SkipState leaves Result.State nil: for senders that do not look at
	// the entity's state, since copying a large entity's view costs.
	SkipState bool
	// IfVersion, when not nil, makes the command apply only to the entity
	// at exactly that version (optimistic concurrency for clients); at
	// another version it fails with a *VersionMismatchError.
	IfVersion *uint64
}

// Body is an entity-specific command.
type Body interface {
	// CommandName names the command in metrics and logs, e.g. "RegisterAgent".
	CommandName() string
}

// Inspect asks an entity for its current state without deciding anything:
// the entity's actor recovers it (if it is not in memory) and answers with
// its View and version, ordered after every command sent before. A version
// of 0 means the entity has no events: it does not exist.
type Inspect struct{}

// CommandName implements Body.
func (Inspect) CommandName() string { return "Inspect" }

// Result is what a handled command did.
type Result struct {
	// Events is the number of events the command appended; 0 when the
	// entity decided that nothing needed to change.
	Events int
	// LastVersion is the entity's version after the command.
	LastVersion uint64
	// LastPosition is the global position of the last appended event, 0 if
	// none was appended. Read models that reach it reflect the command.
	LastPosition uint64
	// State is the entity's view after the command (see Entity.View).
	State any
	// Decided are the payloads of the events the command appended, in
	// order: what the entity decided, e.g. the id it gave a new task.
	Decided []proto.Message
}

// Entity is the state and decisions of one entity, as the runtime drives it.
// Implementations are not safe for concurrent use: the runtime calls them
// from the entity's actor only.
type Entity interface {
	// Apply evolves the state by one durable event.
	Apply(env *events.Envelope, msg proto.Message) error
	// Decide returns the events a command causes, or why it is rejected. It
	// must not change the state.
	Decide(cmd any) ([]proto.Message, error)
	// View returns a copy of the state to hand outside the actor.
	View() any
}

// Correlator is an Entity some of whose events belong to an earlier
// request than the command that decides them: a workflow run's events keep
// the correlation id of the request that started the run, and a task's
// events that of the request that submitted it, whoever sends the command
// (a worker's result, an operator's approval). The command's id remains
// their causation id.
type Correlator interface {
	// CorrelationOf returns the correlation id of msg, an event the entity
	// decided on its current state (before any of the decision's events are
	// applied), or "" for the command's. An event about something the
	// same decision created (a run just started, a task just queued)
	// therefore carries the command's.
	CorrelationOf(msg proto.Message) string
}

// Snapshotter is an Entity whose state can be snapshotted, so that its
// recovery applies only the events after the newest snapshot.
type Snapshotter interface {
	// Snapshot returns the state as a protobuf message.
	Snapshot() (proto.Message, error)
	// Restore replaces the state with a snapshot taken at version.
	Restore(msg proto.Message, version uint64) error
}

// Recaller is a Snapshotter whose snapshots leave out a bounded memory of
// its recent past, which the events before the snapshot hold (a swarm's
// recently finished tasks, kept to recognize commands sent again), so that
// a snapshot holds the live state and costs the same however long the
// entity has lived. After Restore, the entity is handed its events from
// RecallFrom up to the snapshot's version, and rebuilds that memory from
// them with Recall.
type Recaller interface {
	Snapshotter
	// RecallFrom is the version of the first event to recall; 0 if none.
	RecallFrom() uint64
	// Recall rebuilds the memory from an event before the snapshot. It
	// must change nothing else: the snapshot holds the rest.
	Recall(env *events.Envelope, msg proto.Message) error
}

// Resting is an Entity that can tell when it has come to rest: it expects
// no more commands of its own course (a workflow run that ended). Its
// actor is passivated as soon as it has answered the requests that found
// it at rest, instead of after Config.IdleTimeout, so that the runtime
// holds the entities at work, not every one that ever worked; a later
// command recovers it from its stream as usual.
type Resting interface {
	Resting() bool
}

// Kind is one kind of entity hosted by the runtime.
type Kind struct {
	// Name is the kind's name, e.g. "agent"; it prefixes stream names.
	Name string
	// New returns the empty state of a new entity of this kind.
	New func() Entity
	// Commands are the commands its entities decide (Inspect, which every
	// kind answers, aside): hive_commands_total has a series, at 0, for
	// each of them and each outcome from the start.
	Commands []Body
}
