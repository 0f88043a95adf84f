package pgstore

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hive/events"
)

// eventColumns are the columns a decoder reads, in its order.
const eventColumns = `position, stream, version, id, type, schema_version, recorded_at,
	correlation_id, causation_id, principal, payload, hash`

// The columns of eventColumns, by index.
const (
	colPosition = iota
	colStream
	colVersion
	colID
	colType
	colSchemaVersion
	colRecordedAt
	colCorrelationID
	colCausationID
	colPrincipal
	colPayload
	colHash
	numColumns
)

const (
	// maxInterned bounds a decoder's table of interned strings.
	maxInterned = 4096
	// arenaChunk is the size of the blocks payloads are carved from;
	// payloads over a quarter of it get their own allocation.
	arenaChunk = 16 << 10
)

// decoder turns rows of eventColumns into envelopes. It reads the rows'
// raw values in PostgreSQL's binary format, which pgx asks for when it
// prepares the statement (the default): a bigint is 8 bytes big-endian, a
// uuid its 16 bytes, bytea and text their bytes. That saves pgx's scan
// plans and a dozen allocations per row, which dominated reading the
// log. Strings are interned (streams, types and principals repeat), and
// payloads are carved from shared blocks, each slice capped at its own
// length so that appending to one never touches its neighbour. If the
// rows come in text format (a URL asking for the simple protocol), it
// scans them with pgx instead. It belongs to one goroutine.
type decoder struct {
	last  [numColumns]string // the previous value of each string column
	strs  map[string]string
	arena []byte
}

// decodeAll reads and closes rows, returning their envelopes, size of
// them expected.
func (d *decoder) decodeAll(rows pgx.Rows, size int) ([]events.Envelope, error) {
	defer rows.Close()
	out := make([]events.Envelope, 0, size)
	binary := isBinary(rows.FieldDescriptions())
	for rows.Next() {
		var e events.Envelope
		var err error
		if binary {
			err = d.decode(rows.RawValues(), &e)
		} else {
			err = scanEnvelope(rows, &e)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// isBinary reports whether the non-text columns come in binary format.
func isBinary(fields []pgconn.FieldDescription) bool {
	if len(fields) != numColumns {
		return false
	}
	for _, c := range []int{colPosition, colVersion, colID, colSchemaVersion, colRecordedAt, colPayload, colHash} {
		if fields[c].Format != pgx.BinaryFormatCode {
			return false
		}
	}
	return true
}

// decode fills e from one row's raw values.
func (d *decoder) decode(vals [][]byte, e *events.Envelope) error {
	if len(vals) != numColumns {
		return fmt.Errorf("%w: a row of %d columns", ErrCorrupt, len(vals))
	}
	ints := [...]int{colPosition, colVersion, colSchemaVersion, colRecordedAt}
	for _, c := range ints {
		if len(vals[c]) != 8 {
			return fmt.Errorf("%w: column %d of an event is %d bytes", ErrCorrupt, c, len(vals[c]))
		}
	}
	e.Position = binary.BigEndian.Uint64(vals[colPosition])
	e.Version = binary.BigEndian.Uint64(vals[colVersion])
	e.SchemaVersion = uint32(binary.BigEndian.Uint64(vals[colSchemaVersion]))
	e.RecordedAt = time.Unix(0, int64(binary.BigEndian.Uint64(vals[colRecordedAt]))).UTC()
	if len(vals[colID]) != len(e.ID) {
		return fmt.Errorf("%w: event at position %d has an id of %d bytes", ErrCorrupt, e.Position, len(vals[colID]))
	}
	copy(e.ID[:], vals[colID])
	if len(vals[colHash]) != len(e.Hash) {
		return fmt.Errorf("%w: event at position %d has a hash of %d bytes", ErrCorrupt, e.Position, len(vals[colHash]))
	}
	copy(e.Hash[:], vals[colHash])
	e.Stream = d.str(colStream, vals[colStream])
	e.Type = d.str(colType, vals[colType])
	e.CorrelationID = d.str(colCorrelationID, vals[colCorrelationID])
	e.CausationID = d.str(colCausationID, vals[colCausationID])
	e.Principal = d.str(colPrincipal, vals[colPrincipal])
	e.Payload = d.bytes(vals[colPayload])
	return nil
}

// str returns v, the value of string column c, as a string shared with
// earlier equal strings.
func (d *decoder) str(c int, v []byte) string {
	if len(v) == 0 {
		return ""
	}
	if string(v) == d.last[c] {
		return d.last[c]
	}
	if s, ok := d.strs[string(v)]; ok {
		d.last[c] = s
		return s
	}
	if d.strs == nil || len(d.strs) >= maxInterned {
		d.strs = make(map[string]string, 64)
	}
	s := string(v)
	d.strs[s] = s
	d.last[c] = s
	return s
}

// bytes returns a copy of v that the caller owns.
func (d *decoder) bytes(v []byte) []byte {
	if len(v) == 0 {
		return nil
	}
	if len(v) > arenaChunk/4 {
		return append([]byte(nil), v...)
	}
	if cap(d.arena)-len(d.arena) < len(v) {
		d.arena = make([]byte, 0, arenaChunk)
	}
	start := len(d.arena)
	d.arena = append(d.arena, v...)
	return d.arena[start:len(d.arena):len(d.arena)]
}

// scanEnvelope fills e from the current row with pgx's scans, for rows
// in text format. pgx copies bytea into a new slice.
func scanEnvelope(rows pgx.Rows, e *events.Envelope) error {
	var position, version, schema, recorded int64
	var hash []byte
	if err := rows.Scan(&position, &e.Stream, &version, &e.ID, &e.Type, &schema, &recorded,
		&e.CorrelationID, &e.CausationID, &e.Principal, &e.Payload, &hash); err != nil {
		return err
	}
	e.Position, e.Version, e.SchemaVersion = uint64(position), uint64(version), uint32(schema)
	e.RecordedAt = time.Unix(0, recorded).UTC()
	if len(hash) != len(e.Hash) {
		return fmt.Errorf("%w: event at position %d has a hash of %d bytes", ErrCorrupt, position, len(hash))
	}
	copy(e.Hash[:], hash)
	return nil
}
