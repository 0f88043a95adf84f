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
// Both keep everything an event's hash covers (events.CanonicalBytes) and
// the hash itself, so an archive can be verified on its own
// (events.Verifier) and an import reproduces identical events and hashes.
// Readers number records from 1: for NDJSON the record number is the line
// number.
package archive

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"

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
	if e.Format == NDJSON {
		return fmt.Sprintf("line %d: %v", e.Record, e.Err)
	}
	return fmt.Sprintf("record %d: %v", e.Record, e.Err)
}

// Unwrap returns the problem.
func (e *RecordError) Unwrap() error { return e.Err }

// Writer writes events to an archive. It buffers: call Flush at the end.
// It belongs to one goroutine.
type Writer interface {
	Write(e *events.Envelope) error
	Flush() error
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
	// Next fills e with the next event. It returns io.EOF at the end, and
	// a *RecordError for a record that does not decode.
	Next(e *events.Envelope) error
}

// NewWriter returns a Writer of format f on w.
func NewWriter(w io.Writer, f Format) (Writer, error) {
	bw := bufio.NewWriterSize(w, 1<<20)
	switch f {
	case NDJSON:
		return &ndjsonWriter{w: bw}, nil
	case Binary:
		if _, err := bw.WriteString(magic); err != nil {
			return nil, fmt.Errorf("archive: write: %w", err)
		}
		return &binaryWriter{w: bw}, nil
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
		return &binaryReader{r: br}, Binary, nil
	}
	if len(bytes.TrimSpace(head)) == 0 || bytes.TrimSpace(head)[0] == '{' {
		return newNDJSONReader(br), NDJSON, nil
	}
	return nil, "", fmt.Errorf("%w: neither NDJSON nor a binary archive", ErrFormat)
}

// Verify reads every event of r and checks it as a log (events.Verifier).
// It returns how many events there are, or the first problem as a
// *RecordError.
func Verify(r Reader, f Format) (int, error) {
	v := events.NewVerifier()
	var e events.Envelope
	for n := 1; ; n++ {
		err := r.Next(&e)
		if errors.Is(err, io.EOF) {
			return n - 1, nil
		}
		if err != nil {
			return n - 1, err
		}
		if err := v.Add(&e); err != nil {
			return n - 1, &RecordError{Record: n, Format: f, Err: err}
		}
	}
}
