package actors

import "context"

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

// passivate is an idle entity actor asking its supervisor to stop it.
type passivate struct{ id string }
