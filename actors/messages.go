package actors

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// request carries a command from Ask to the kind's supervisor, which
// forwards it, sender and all, to the entity's actor.
type request struct {
	// ctx is the caller's context: the entity keeps its values (and drops
	// its cancellation) for the command's I/O.
	ctx context.Context
	id  string
	cmd Command
}

// reply is an entity's answer to a request.
type reply struct {
	res Result
	err error
}

// sweep tells a supervisor to passivate the entity actors that have been
// idle for longer than the idle timeout.
type sweep struct{ now time.Time }

// rest tells a supervisor that its entity actor who has come to rest and
// answered everything it was sent, to passivate it now.
type rest struct{ who *actor.PID }
