package decision

// The limits on the size of what commands carry, for every kind of entity:
// how many items each list may hold, how long each text may be, how many
// bytes a JSON value may take. Every command's Validate checks them, first
// the lengths of the lists (so that an oversized list is refused without
// looking at its items) and then each item, in time linear in the command's
// size. The API calls Validate before a command reaches its entity's actor,
// so no request can keep an entity busy; the entity checks again, for the
// commands that other entities send.
//
// README.md lists them (section "Limits"), and the OpenAPI document states
// them as maxItems and maxLength; change all three together. Ranges of
// values (priorities, attempts, timeouts, weights, sizes of swarms) are
// checked beside the commands they belong to.
const (
	// MaxNameLength bounds, in characters, the names people give (agents,
	// swarms, runs, definitions, tokens, a usage's model) and who acts
	// (proposed_by, by).
	MaxNameLength = 200
	// MaxReasonLength bounds, in characters, reasons, comments and progress
	// messages.
	MaxReasonLength = 1000
	// MaxDescriptionLength bounds, in characters, a definition's
	// description and a proposal's question.
	MaxDescriptionLength = 2000

	// MaxCapabilities bounds an agent's capabilities, and so a swarm
	// member's.
	MaxCapabilities = 64
	// MaxCapabilityLength bounds, in bytes, one capability, an agent's or a
	// task's or a step's.
	MaxCapabilityLength = 64
	// MaxLabels bounds an agent's labels.
	MaxLabels = 64
	// MaxLabelKeyLength bounds, in bytes, a label's key.
	MaxLabelKeyLength = 63
	// MaxLabelValueLength bounds, in characters, a label's value.
	MaxLabelValueLength = 256

	// MinOptions and MaxOptions bound a proposal's options.
	MinOptions = 2
	MaxOptions = 20
	// MaxOptionLength bounds, in characters, one option.
	MaxOptionLength = 200

	// MaxSteps bounds a workflow run: the steps it starts with and those its
	// planner steps add, together. It bounds a definition's steps too.
	MaxSteps = 1000
	// MaxDependencies bounds one step's depends_on: every other step of
	// the run.
	MaxDependencies = MaxSteps - 1
	// MaxStepIDLength bounds, in bytes, a step's id.
	MaxStepIDLength = 64

	// MaxKeyLength bounds, in bytes, a task's idempotency key and the run
	// and step ids it carries.
	MaxKeyLength = 512
	// MaxJSONBytes bounds a JSON value a command carries: a task's input and
	// output, a step's input, the steps a planner adds.
	MaxJSONBytes = 256 << 10
)
