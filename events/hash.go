package events

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Hash is one link of a stream's hash chain.
type Hash [sha256.Size]byte

// String returns the hash in hex.
func (h Hash) String() string { return hex.EncodeToString(h[:]) }

// ChainHash returns SHA-256(prev ‖ CanonicalBytes(e)): the hash an event
// carries when prev is the hash of the event before it in its stream (the
// zero Hash for a stream's first event).
func ChainHash(prev Hash, e *Envelope) Hash {
	h := sha256.New()
	h.Write(prev[:])
	h.Write(CanonicalBytes(e))
	var out Hash
	h.Sum(out[:0])
	return out
}

// CanonicalBytes is the stable encoding of an event that the hash chain
// covers. It is, in order: the 16 id bytes; the stream, type, correlation
// id, causation id and principal, each as a 4-byte big-endian length and its
// bytes; the version (8 bytes), recorded time in Unix nanoseconds (8 bytes)
// and schema version (4 bytes), big-endian; then the payload's length
// (4 bytes) and bytes. The global position is not covered: it is assigned by
// the store and may differ between stores holding the same events.
func CanonicalBytes(e *Envelope) []byte {
	n := 16 + 8 + 8 + 4 + 6*4 + len(e.Stream) + len(e.Type) + len(e.CorrelationID) +
		len(e.CausationID) + len(e.Principal) + len(e.Payload)
	return AppendCanonical(make([]byte, 0, n), e)
}

// AppendCanonical appends CanonicalBytes(e) to dst.
func AppendCanonical(dst []byte, e *Envelope) []byte {
	b := append(dst, e.ID[:]...)
	b = appendString(b, e.Stream)
	b = appendString(b, e.Type)
	b = appendString(b, e.CorrelationID)
	b = appendString(b, e.CausationID)
	b = appendString(b, e.Principal)
	b = binary.BigEndian.AppendUint64(b, e.Version)
	b = binary.BigEndian.AppendUint64(b, uint64(e.RecordedAt.UnixNano()))
	b = binary.BigEndian.AppendUint32(b, e.SchemaVersion)
	b = binary.BigEndian.AppendUint32(b, uint32(len(e.Payload)))
	return append(b, e.Payload...)
}

func appendString(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
	return append(b, s...)
}

// ChainError reports the first event at which a stream's hash chain or
// numbering breaks.
type ChainError struct {
	Stream  string
	Version uint64
	Reason  string
	// Position is where in the global log the problem was found, when a
	// whole log is checked; 0 otherwise. It is not part of the message.
	Position uint64
}

// Error implements error.
func (e *ChainError) Error() string {
	return fmt.Sprintf("stream %q version %d: %s", e.Stream, e.Version, e.Reason)
}

// VerifyChain checks that envs, a stream's events read forward from its first
// version, are numbered 1, 2, 3… and that every hash links to the previous
// one. It returns a *ChainError naming the first bad event.
func VerifyChain(envs []Envelope) error {
	var prev Hash
	for i := range envs {
		e := &envs[i]
		if e.Stream != envs[0].Stream {
			return &ChainError{Stream: envs[0].Stream, Version: e.Version, Reason: fmt.Sprintf("event of stream %q in the middle", e.Stream)}
		}
		if want := uint64(i + 1); e.Version != want {
			return &ChainError{Stream: e.Stream, Version: want, Reason: fmt.Sprintf("found version %d", e.Version)}
		}
		if want := ChainHash(prev, e); e.Hash != want {
			return &ChainError{Stream: e.Stream, Version: e.Version, Reason: "hash does not match the chain"}
		}
		prev = e.Hash
	}
	return nil
}
