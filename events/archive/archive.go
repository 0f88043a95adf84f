// Package archive reads and writes the event log as a file, for hive export
// and hive import, in two formats:
//
//   - NDJSON: one event per line, a JSON object with the envelope's fields,
//     the payload as protobuf JSON (null for a type this build does not
//     know) for people and tools, and payload_base64, the payload's exact
//     bytes, from which an import restores the event and its hash.
//   - Binary: the magic bytes "HIVELOG1", then per event its
//     hivev1.StoredEvent encoding (as the embedded store keeps it)
//     prefixed by its length as a uvarint. Compact and fast.
//
// Both end with a trailer (see Trailer): the events' count, the last
// position and a SHA-256 over the events' hashes in order. In NDJSON it is
// the last line, {"trailer":{"events":N,"last_position":P,"digest":"hex"}};
// in binary a record of length 0 (which no event has), then the magic
// bytes "HIVEEND1", the count and the position as uvarints and the 32
// bytes of the digest. Readers require it and check it, so that an
// archive that lost events at its end, or the last events of a stream,
// is refused: the hash chains alone would not show it.
//
// Both keep everything an event's hash covers (events.CanonicalBytes) and
// the hash itself, so an archive can be verified on its own
// (events.Verifier) and an import reproduces identical events and hashes.
// The hash covers an NDJSON line's payload_base64, not its readable
// payload, so the NDJSON reader decodes payload_base64 as the writer does
// and refuses a line whose payload is another JSON value
// (ErrPayloadMismatch): what a person reads in an archive that passes is
// what the hash chain covers.
// Readers number records from 1: for NDJSON the record number is the line
// number.
package archive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

	"github.com/google/uuid"

	"hive/events"
)

// Format is an archive format.
type Format string

// The formats.
const (
	NDJSON Format = "ndjson"
	Binary Format = "binary"
)

// magic starts every binary archive.
const magic = "HIVELOG1"

// ErrFormat: an archive that is not in the format it claims, or an unknown
// format.
var ErrFormat = errors.New("archive: bad format")

// RecordError is a problem with one record of an archive: it cannot be
// decoded, or it fails verification.
type RecordError struct {
	// Record is the record's number from 1; for NDJSON, its line.
	Record int
	Format Format
	Err    error
}

// Error implements error.
func (e *RecordError) Error() string {
	return fmt.Sprintf("%s %d: %v", recordWord(e.Format), e.Record, e.Err)
}

// recordWord is what f calls a record.
func recordWord(f Format) string {
	if f == NDJSON {
		return "line"
	}
	return "record"
}

// Unwrap returns the problem.
func (e *RecordError) Unwrap() error { return e.Err }

// Writer writes events to an archive. It buffers, and the archive is
// complete only once Close has written its trailer. It belongs to one
// goroutine.
type Writer interface {
	Write(e *events.Envelope) error
	// Close writes the trailer and flushes; it does not close the
	// underlying io.Writer.
	Close() error
}

// StoredWriter is the capability of the binary Writer to take an event
// already in its hivev1.StoredEvent encoding (as the store keeps it),
// which it writes unchanged: an export then needs no decoding.
type StoredWriter interface {
	WriteStored(raw []byte) error
}

// BatchWriter is the capability of a Writer to write many events at once,
// faster than one by one (the NDJSON writer encodes them on every core).
type BatchWriter interface {
	WriteBatch(evs []events.Envelope) error
}

// Reader reads events from an archive, in order. It belongs to one
// goroutine.
type Reader interface {
	// Next fills e with the next event. It returns io.EOF at the end,
	// once the trailer has been read and checked against the events
	// before it; a *RecordError for a record that does not decode, a
	// missing trailer (ErrTruncated) or one that disagrees (ErrTrailer).
	Next(e *events.Envelope) error
}

// NewWriter returns a Writer of format f on w.
func NewWriter(w io.Writer, f Format) (Writer, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	switch f {
	case NDJSON:
		return &ndjsonWriter{w: bw, tally: newTally()}, nil
	case Binary:
		if _, err := bw.WriteString(magic); err != nil {
			return nil, fmt.Errorf("archive: write: %w", err)
		}
		return &binaryWriter{w: bw, tally: newTally()}, nil
	}
	return nil, fmt.Errorf("%w: %q (want %s or %s)", ErrFormat, f, NDJSON, Binary)
}

// NewReader returns a Reader of r, whose format it recognises by its first
// bytes, and that format.
func NewReader(r io.Reader) (Reader, Format, error) {
	br := bufio.NewReaderSize(r, 1<<20)
	head, err := br.Peek(len(magic))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("archive: read: %w", err)
	}
	if bytes.Equal(head, []byte(magic)) {
		_, _ = br.Discard(len(magic)) // peeked: cannot fail
		return &binaryReader{r: br, tally: newTally()}, Binary, nil
	}
	if len(bytes.TrimSpace(head)) == 0 || bytes.TrimSpace(head)[0] == '{' {
		return newNDJSONReader(br), NDJSON, nil
	}
	return nil, "", fmt.Errorf("%w: neither NDJSON nor a binary archive", ErrFormat)
}

// ErrDuplicateID: two events of an archive have the same id.
var ErrDuplicateID = errors.New("duplicate event id")

// Summary is what Verify read of an archive.
type Summary struct {
	// Events is how many events it holds, or, after a problem, how many
	// passed before it.
	Events int
	// Streams is how many streams those events belong to.
	Streams int
	// FirstPosition and LastPosition are the positions of its first and
	// last events, 0 if it has none.
	FirstPosition, LastPosition uint64
}

// Verify reads every event of r and checks it as a log (events.Verifier),
// with distinct ids, and the trailer (see Reader). It returns what it
// read, or the first problem as a *RecordError with what passed before it.
func Verify(r Reader, f Format) (Summary, error) {
	v := events.NewVerifier()
	ids := make(map[uuid.UUID]int)
	var s Summary
	var e events.Envelope
	for n := 1; ; n++ {
		err := r.Next(&e)
		if errors.Is(err, io.EOF) {
			return s, nil
		}
		if err != nil {
			return s, err
		}
		if err := v.Add(&e); err != nil {
			return s, &RecordError{Record: n, Format: f, Err: err}
		}
		if first, dup := ids[e.ID]; dup {
			return s, &RecordError{Record: n, Format: f, Err: fmt.Errorf("%w %s, as at %s %d", ErrDuplicateID, e.ID, recordWord(f), first)}
		}
		ids[e.ID] = n
		if s.Events == 0 {
			s.FirstPosition = e.Position
		}
		s.Events, s.Streams, s.LastPosition = n, v.Streams(), e.Position
	}
}
