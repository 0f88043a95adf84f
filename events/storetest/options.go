package storetest

// Option declares a guarantee of the events contract that a backend cannot
// honour in full. The suite then checks what the backend does instead, in
// place of the guarantee, so that nothing is skipped silently. A backend
// passing an option says so, and why, in its package documentation.
type Option func(*limits)

// limits is what a store's options declare; the zero value declares
// nothing: the whole contract holds.
type limits struct {
	// idsPerStream: ids are checked against the appended stream only.
	idsPerStream bool
	// replayWindow > 0: a repeated append expecting any version or an
	// existing stream is recognised only among the stream's newest
	// replayWindow events.
	replayWindow int
}

// IDsCheckedPerStream declares that the store recognises a stored event id
// only in the stream it is appended to: an append reusing, in another
// stream, an id stored elsewhere does not fail with
// events.ErrDuplicateEventID but stores the event in that stream too. (An
// EventStoreDB keeps no index of event ids across streams.) Reuse within
// the stream is still refused. The suite checks that the append is
// accepted and changes nothing but the other stream.
func IDsCheckedPerStream() Option {
	return func(l *limits) { l.idsPerStream = true }
}

// ReplayWindow declares that the store recognises a repeated append that
// expects any version or an existing stream only while the repeated events
// are among the stream's newest n events; further back, it appends them
// again. A repeat with an exact expectation (events.Exact, events.NoStream)
// is recognised at any depth. The suite checks both within those bounds.
func ReplayWindow(n int) Option {
	return func(l *limits) { l.replayWindow = n }
}

func newLimits(opts []Option) limits {
	var l limits
	for _, o := range opts {
		o(&l)
	}
	return l
}
