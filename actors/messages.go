package actors

import (
	"context"
	"time"

	"github.com/asynkron/protoactor-go/actor"
)

// request carries a command from Ask to the kind's supervisor, which
// forwards it to the entity's actor, and the way back to the caller.
type request struct {
	// ctx is the caller's context: the entity keeps its values (and drops
	// its cancellation) for the command's I/O.
	ctx context.Context
	id  string
	cmd Command
	// replies takes the one answer; buffered, so that answering never
	// waits for a caller that has gone.
	replies chan *reply
}

func newRequest(ctx context.Context, id string, cmd Command) *request {
	return &request{ctx: ctx, id: id, cmd: cmd, replies: make(chan *reply, 1)}
}

// answer hands r's caller its reply. A request is answered once; a second
// answer would be dropped rather than block the actor.
func (r *request) answer(rep *reply) {
	select {
	case r.replies <- rep:
	default:
	}
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
