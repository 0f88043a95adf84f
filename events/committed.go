package events

import (
	"sync"

	"google.golang.org/protobuf/proto"
)

// Committed is a committed event as a follower of the log gets it (see
// Tail): its envelope, the position of the event before it in the log, and
// its payload, decoded once however many followers share it. A Committed
// is shared between goroutines: its envelope, payload and message are
// read-only.
type Committed struct {
	Envelope
	// Prev is the position of the event before this one in the log, as
	// its reader read it: 0 before the first event.
	Prev uint64

	seq  uint64 // its place in a tail's ring, 0 if it is not in one
	once sync.Once
	msg  proto.Message
	err  error
}

// NewCommitted returns env, the event after the one at position prev, as a
// Committed.
func NewCommitted(env Envelope, prev uint64) *Committed {
	return &Committed{Envelope: env, Prev: prev}
}

// Message returns the payload as Decode returns it. The first call decodes
// it, the others return that same message (or error): callers share the
// message and must not modify it. Safe for concurrent use.
func (c *Committed) Message() (proto.Message, error) {
	c.once.Do(func() { c.msg, c.err = Decode(&c.Envelope) })
	return c.msg, c.err
}

// committedPage returns a page read after position after as Committed
// events, in one allocation.
func committedPage(page []Envelope, after uint64, dst []*Committed) []*Committed {
	cs := make([]Committed, len(page))
	for i := range page {
		cs[i].Envelope, cs[i].Prev = page[i], after
		after = page[i].Position
		dst = append(dst, &cs[i])
	}
	return dst
}
