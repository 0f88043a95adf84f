package reactions

import (
	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/events"
)

// Reaction is a command that one entity's event causes in another entity.
type Reaction struct {
	// To is the entity that handles Body.
	To   actors.Ref
	Body actors.Body
	// Compensate, if set, returns the reactions to send instead when To
	// rejects Body, e.g. to undo the half of a two-entity change that was
	// decided.
	Compensate func(rejection error) []Reaction
}

// Rule derives the reactions to one event. It must depend on the event
// only, so that handling an event again gives the same reactions.
type Rule func(env *events.Envelope, msg proto.Message) []Reaction
