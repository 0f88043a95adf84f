package actors

import "time"

// Deadline is a durable timer of an entity. Entities record their deadlines
// in their events (a heartbeat's lapse, a task's timeout, a vote's close);
// the timer index reads them from the log, and when one passes, the runtime
// sends the entity its kind's wake-up command, which decides what is due on
// the entity's own state. A zero At cancels the timer Key.
type Deadline struct {
	// Key names the timer within its entity, e.g. "liveness" or "task/<id>".
	Key string
	At  time.Time
}
