package projections

import "encoding/json"

// Live topics: what live clients (GET /v1/live) subscribe to. A run's own
// topic is RunTopic(id).
const (
	TopicAgents     = "agents"
	TopicSwarms     = "swarms"
	TopicRuns       = "runs"
	TopicQueue      = "queue"
	TopicThroughput = "throughput"
	TopicFeed       = "feed"
	TopicPrincipals = "principals"
)

// RunTopic is the topic of one workflow run's detail: "workflows/<id>".
func RunTopic(runID string) string { return "workflows/" + runID }

// Change operations.
const (
	OpUpsert = "upsert"
	OpDelete = "delete"
)

// Change is one read-model row that an event changed, as live clients
// receive it. Data is the row as the read model's HTTP view shows it, after
// the change; a client keeps, per topic and id, the change with the highest
// position.
type Change struct {
	// Topic is the live topic the row belongs to.
	Topic string `json:"topic"`
	// Position is the log position of the event that made the change.
	Position uint64 `json:"position"`
	// Op is OpUpsert or OpDelete.
	Op string `json:"op"`
	// ID identifies the row within its topic.
	ID string `json:"id"`
	// Data is the row after the change; absent for a delete.
	Data json.RawMessage `json:"data,omitempty"`
}

// Live is implemented by projections whose rows live clients follow.
type Live interface {
	Projection
	// Changed appends to dst the rows changed since the previous call (or
	// since the projection was created or restored), each once, as they are
	// now, and forgets them; it returns dst. A projection records in Apply
	// which rows an event touched and encodes them here. The runner calls
	// it from the goroutine that applies, after each batch of events (one
	// event when they come one at a time, more under load, a page while
	// catching up), so that a row many events change is encoded once per
	// batch.
	Changed(dst []Change) ([]Change, error)
}

// Persistent is implemented by projections whose state the runner saves, so
// that a restart resumes from the saved checkpoint instead of replaying the
// whole log.
type Persistent interface {
	Projection
	// MarshalState encodes the read model's whole state together with its
	// checkpoint, as one value: the runner stores it in one atomic write, so
	// state and checkpoint always agree. The runner calls it from the
	// goroutine that applies events.
	MarshalState() ([]byte, error)
	// UnmarshalState replaces the read model's state, and checkpoint, with
	// one MarshalState produced. On error (a state this build cannot read)
	// it leaves the read model empty at checkpoint zero, and the runner
	// rebuilds it from the log.
	UnmarshalState(data []byte) error
}

// Lag is how far one projection is behind the head of the log.
type Lag struct {
	// Projection is the projection's name.
	Projection string `json:"projection"`
	// Position is the position of the last event it applied.
	Position uint64 `json:"position"`
	// BehindPositions is the head's position minus Position.
	BehindPositions uint64 `json:"behind_positions"`
	// BehindSeconds is how much older the last event applied is than the
	// head event; zero when caught up.
	BehindSeconds float64 `json:"behind_seconds"`
	// Error says why the projection stopped, if it did.
	Error string `json:"error,omitempty"`
}
