package archive

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protojson"

	"hive/events"
)

// record is an event as an NDJSON line. The writer builds the line by hand
// (it is on the export's hot path), in this field order; the reader
// decodes it with encoding/json.
type record struct {
	Position      uint64          `json:"position"`
	ID            string          `json:"id"`
	Stream        string          `json:"stream"`
	Version       uint64          `json:"version"`
	Type          string          `json:"type"`
	RecordedAt    time.Time       `json:"recorded_at"`
	SchemaVersion uint32          `json:"schema_version"`
	CorrelationID string          `json:"correlation_id"`
	CausationID   string          `json:"causation_id"`
	Principal     string          `json:"principal"`
	Payload       json.RawMessage `json:"payload"`
	PayloadBase64 []byte          `json:"payload_base64"`
	Hash          string          `json:"hash"`
	// Trailer is set on the last line only, which has no other field.
	Trailer *trailerJSON `json:"trailer"`
}

// trailerJSON is the Trailer as the last NDJSON line has it.
type trailerJSON struct {
	Events       uint64 `json:"events"`
	LastPosition uint64 `json:"last_position"`
	Digest       string `json:"digest"`
}

type ndjsonWriter struct {
	w     *bufio.Writer
	tally *tally
	line  []byte
	parts [][]byte // WriteBatch's buffers, one per worker
}

func (n *ndjsonWriter) Write(e *events.Envelope) error {
	var err error
	if n.line, err = appendLine(n.line[:0], e); err != nil {
		return err
	}
	if _, err := n.w.Write(n.line); err != nil {
		return fmt.Errorf("archive: write: %w", err)
	}
	n.tally.add(e.Position, &e.Hash)
	return nil
}

// WriteBatch implements BatchWriter: the lines of evs are encoded on one
// goroutine per CPU, each a share of evs, and written in order.
func (n *ndjsonWriter) WriteBatch(evs []events.Envelope) error {
	workers := min(runtime.GOMAXPROCS(0), max(1, len(evs)/64))
	if len(n.parts) < workers {
		n.parts = make([][]byte, workers)
	}
	share := (len(evs) + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		part := evs[min(w*share, len(evs)):min((w+1)*share, len(evs))]
		wg.Go(func() {
			buf := n.parts[w][:0]
			for i := range part {
				if buf, errs[w] = appendLine(buf, &part[i]); errs[w] != nil {
					break
				}
			}
			n.parts[w] = buf
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for _, buf := range n.parts[:workers] {
		if _, err := n.w.Write(buf); err != nil {
			return fmt.Errorf("archive: write: %w", err)
		}
	}
	for i := range evs {
		n.tally.add(evs[i].Position, &evs[i].Hash)
	}
	return nil
}

// appendLine appends e's NDJSON line to b.
func appendLine(b []byte, e *events.Envelope) ([]byte, error) {
	b = append(b, `{"position":`...)
	b = strconv.AppendUint(b, e.Position, 10)
	b = append(b, `,"id":"`...)
	b = append(b, e.ID.String()...)
	b = append(b, '"')
	b = appendField(b, "stream", e.Stream)
	b = append(b, `,"version":`...)
	b = strconv.AppendUint(b, e.Version, 10)
	b = appendField(b, "type", e.Type)
	b = append(b, `,"recorded_at":"`...)
	b = e.RecordedAt.UTC().AppendFormat(b, time.RFC3339Nano)
	b = append(b, `","schema_version":`...)
	b = strconv.AppendUint(b, uint64(e.SchemaVersion), 10)
	b = appendField(b, "correlation_id", e.CorrelationID)
	b = appendField(b, "causation_id", e.CausationID)
	b = appendField(b, "principal", e.Principal)
	b = append(b, `,"payload":`...)
	b, err := appendPayload(b, e)
	if err != nil {
		return b, err
	}
	b = append(b, `,"payload_base64":"`...)
	b = base64.StdEncoding.AppendEncode(b, e.Payload)
	b = append(b, `","hash":"`...)
	b = hex.AppendEncode(b, e.Hash[:])
	return append(b, "\"}\n"...), nil
}

// Close writes the trailer line and flushes.
func (n *ndjsonWriter) Close() error {
	t := n.tally.trailer()
	line, err := json.Marshal(struct {
		Trailer trailerJSON `json:"trailer"`
	}{trailerJSON{Events: t.Events, LastPosition: t.LastPosition, Digest: hex.EncodeToString(t.Digest[:])}})
	if err != nil {
		return fmt.Errorf("archive: trailer: %w", err)
	}
	if _, err := n.w.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("archive: write: %w", err)
	}
	if err := n.w.Flush(); err != nil {
		return fmt.Errorf("archive: write: %w", err)
	}
	return nil
}

// appendPayload appends e's payload, upcast to its type's current schema
// (events.Decode, as the API shows it), as protobuf JSON, or null for a
// type this build does not know.
func appendPayload(b []byte, e *events.Envelope) ([]byte, error) {
	msg, err := events.Decode(e)
	if errors.Is(err, events.ErrUnknownType) {
		return append(b, "null"...), nil
	}
	if err != nil {
		return b, fmt.Errorf("archive: %s version %d: payload: %w", e.Stream, e.Version, err)
	}
	out, err := protojson.MarshalOptions{}.MarshalAppend(b, msg)
	if err != nil {
		return b, fmt.Errorf("archive: %s version %d: payload as JSON: %w", e.Stream, e.Version, err)
	}
	return out, nil
}

// appendField appends ,"name":"value" with value escaped as a JSON string.
func appendField(b []byte, name, value string) []byte {
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":`...)
	return appendString(b, value)
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		default:
			b = append(b, fmt.Sprintf(`\u%04x`, c)...)
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

type ndjsonReader struct {
	s     *bufio.Scanner
	line  int
	tally *tally
	shown []byte // checkPayload's scratch space
}

func newNDJSONReader(r io.Reader) *ndjsonReader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 1<<20), 2*maxRecord)
	return &ndjsonReader{s: s, tally: newTally()}
}

func (n *ndjsonReader) Next(e *events.Envelope) error {
	if !n.scan() {
		return n.fail(n.line+1, errors.Join(n.s.Err(), ErrTruncated))
	}
	if err := checkFields(n.s.Bytes()); err != nil {
		return n.fail(n.line, err)
	}
	var r record
	if err := json.Unmarshal(n.s.Bytes(), &r); err != nil {
		return n.fail(n.line, err)
	}
	if r.Trailer != nil {
		return n.end(r.Trailer)
	}
	if err := r.envelope(e); err != nil {
		return n.fail(n.line, err)
	}
	var err error
	if n.shown, err = checkPayload(r.Payload, e, n.shown); err != nil {
		return n.fail(n.line, err)
	}
	n.tally.add(e.Position, &e.Hash)
	return nil
}

// scan reads the next line, reporting whether there is one.
func (n *ndjsonReader) scan() bool {
	if !n.s.Scan() {
		return false
	}
	n.line++
	return true
}

// end checks the trailer t, read on the current line, against the events
// read and the end of the file, and returns io.EOF if it passes.
func (n *ndjsonReader) end(t *trailerJSON) error {
	var digest events.Hash
	if k, err := hex.Decode(digest[:], []byte(t.Digest)); err != nil || k != len(digest) || len(t.Digest) != 2*len(digest) {
		return n.fail(n.line, fmt.Errorf("%w: digest: not a SHA-256 in hex", ErrTrailer))
	}
	if err := n.tally.check(Trailer{Events: t.Events, LastPosition: t.LastPosition, Digest: digest}); err != nil {
		return n.fail(n.line, err)
	}
	if n.scan() {
		return n.fail(n.line, fmt.Errorf("%w: a line follows it", ErrTrailer))
	}
	if err := n.s.Err(); err != nil {
		return n.fail(n.line+1, err)
	}
	return io.EOF
}

func (n *ndjsonReader) fail(line int, err error) error {
	return &RecordError{Record: line, Format: NDJSON, Err: err}
}

// envelope checks r and fills e from it.
func (r *record) envelope(e *events.Envelope) error {
	id, err := uuid.Parse(r.ID)
	if err != nil {
		return fmt.Errorf("id: %w", err)
	}
	var hash events.Hash
	if n, err := hex.Decode(hash[:], []byte(r.Hash)); err != nil || n != len(hash) || len(r.Hash) != 2*len(hash) {
		return errors.New("hash: not a SHA-256 in hex")
	}
	*e = events.Envelope{
		ID: id, Stream: r.Stream, Version: r.Version, Position: r.Position, Type: r.Type,
		RecordedAt: r.RecordedAt.UTC(), SchemaVersion: r.SchemaVersion, Payload: r.PayloadBase64,
		Metadata: events.Metadata{CorrelationID: r.CorrelationID, CausationID: r.CausationID, Principal: r.Principal},
		Hash:     hash,
	}
	return nil
}
