package events

import (
	"crypto/sha256"
	"fmt"
	"hash"
)

// Verifier checks a log read in position order, one event at a time, in
// constant memory per stream: global positions strictly increasing, each
// stream's versions dense from 1, and each event's hash linked to the
// previous event of its stream (see ChainHash). It is the streaming form
// of VerifyChain, for a whole log. It reuses its buffers, so it belongs to
// one goroutine.
type Verifier struct {
	streams  map[string]*chainLink
	position uint64
	events   uint64
	links    *LinkChecker
}

// chainLink is where a stream's chain stands.
type chainLink struct {
	version uint64
	hash    Hash
}

// NewVerifier returns a Verifier expecting the first event of a log.
func NewVerifier() *Verifier {
	return &Verifier{streams: make(map[string]*chainLink), links: NewLinkChecker()}
}

// Add checks e, the next event of the log. It returns a *ChainError naming
// e's stream and the first bad version; after an error the verifier's
// state is unspecified.
func (v *Verifier) Add(e *Envelope) error {
	prev, err := v.Sequence(e)
	if err != nil {
		return err
	}
	return v.links.Check(&prev, e)
}

// Sequence is Add without the hash check, for callers that check hashes
// elsewhere, e.g. in parallel: it checks e's position and version and
// returns the hash e must link to, the stored hash of the previous event
// of its stream, which LinkChecker.Check then checks. The chain verifies
// if every event's link does.
func (v *Verifier) Sequence(e *Envelope) (prev Hash, err error) {
	if e.Position <= v.position {
		return prev, &ChainError{Stream: e.Stream, Version: e.Version,
			Reason: fmt.Sprintf("position %d does not follow position %d", e.Position, v.position)}
	}
	link := v.streams[e.Stream]
	if link == nil {
		link = &chainLink{}
		v.streams[e.Stream] = link
	}
	if want := link.version + 1; e.Version != want {
		return prev, &ChainError{Stream: e.Stream, Version: want,
			Reason: fmt.Sprintf("found version %d at position %d", e.Version, e.Position)}
	}
	prev = link.hash
	link.version, link.hash = e.Version, e.Hash
	v.position = e.Position
	v.events++
	return prev, nil
}

// LinkChecker checks that events link to their predecessors' hashes. It
// reuses its buffers, so it belongs to one goroutine.
type LinkChecker struct {
	h   hash.Hash
	buf []byte
	sum Hash
}

// NewLinkChecker returns a LinkChecker.
func NewLinkChecker() *LinkChecker { return &LinkChecker{h: sha256.New()} }

// Check returns a *ChainError unless e.Hash is ChainHash(*prev, e).
func (c *LinkChecker) Check(prev *Hash, e *Envelope) error {
	c.buf = AppendCanonical(c.buf[:0], e)
	c.h.Reset()
	c.h.Write(prev[:])
	c.h.Write(c.buf)
	if c.h.Sum(c.sum[:0]); c.sum != e.Hash {
		return &ChainError{Stream: e.Stream, Version: e.Version,
			Reason: fmt.Sprintf("hash at position %d does not match the chain", e.Position)}
	}
	return nil
}

// Events returns how many events have been verified.
func (v *Verifier) Events() uint64 { return v.events }

// Streams returns how many streams have been seen.
func (v *Verifier) Streams() int { return len(v.streams) }

// Version returns the version stream's chain has reached: 0 if no event
// of it has been verified.
func (v *Verifier) Version(stream string) uint64 {
	if link := v.streams[stream]; link != nil {
		return link.version
	}
	return 0
}
