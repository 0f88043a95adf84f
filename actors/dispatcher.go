package actors

import (
	"sync/atomic"
)

// mailboxThroughput is how many messages a mailbox run handles before it
// yields (protoactor's default).
const mailboxThroughput = 300

// maxIdleWorkers bounds the goroutines a dispatcher keeps waiting for
// mailbox runs.
const maxIdleWorkers = 256

// dispatcher runs the mailboxes of the runtime's actors (a protoactor
// actor.Dispatcher) on goroutines it keeps, instead of on a new goroutine
// for each run as protoactor's default does. An entity's mailbox run
// reads the store, whose iterators need a deep stack: a new goroutine
// grows and copies its stack for that each time. A kept goroutine keeps
// its stack (until a garbage collection finds it idle and shrinks it).
//
// A run is handed to an idle worker if one waits, else to a new one. A
// worker that finishes a run waits for the next unless maxIdleWorkers
// already wait; every waiting worker returns once stop is called. A run
// scheduled after stop still runs, on a worker that then returns.
type dispatcher struct {
	work chan func()
	done chan struct{}
	idle atomic.Int64
}

func newDispatcher() *dispatcher {
	return &dispatcher{work: make(chan func()), done: make(chan struct{})}
}

// Schedule implements actor.Dispatcher.
func (d *dispatcher) Schedule(fn func()) {
	select {
	case d.work <- fn:
	default:
		go d.worker(fn)
	}
}

// Throughput implements actor.Dispatcher.
func (d *dispatcher) Throughput() int { return mailboxThroughput }

// worker runs fn, then the runs handed to it while it waits.
func (d *dispatcher) worker(fn func()) {
	for {
		fn()
		if d.idle.Add(1) > maxIdleWorkers {
			d.idle.Add(-1)
			return
		}
		select {
		case fn = <-d.work:
			d.idle.Add(-1)
		case <-d.done:
			d.idle.Add(-1)
			return
		}
	}
}

// stop makes the waiting workers return, and those that finish a run
// later too.
func (d *dispatcher) stop() { close(d.done) }
