package pebblestore

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"hive/events"
)

// Field numbers of hive.v1.StoredEvent, as in envelope.proto (which never
// renumbers a field). TestDecoderMatchesProto checks them, and the decoder,
// against the generated code.
const (
	fieldID            protowire.Number = 1
	fieldStream        protowire.Number = 2
	fieldVersion       protowire.Number = 3
	fieldPosition      protowire.Number = 4
	fieldType          protowire.Number = 5
	fieldRecordedAt    protowire.Number = 6
	fieldCorrelationID protowire.Number = 7
	fieldCausationID   protowire.Number = 8
	fieldPrincipal     protowire.Number = 9
	fieldSchemaVersion protowire.Number = 10
	fieldPayload       protowire.Number = 11
	fieldHash          protowire.Number = 12
)

const (
	// maxInterned bounds a decoder's table of interned strings.
	maxInterned = 4096
	// arenaChunk is the size of the blocks payloads are carved from;
	// payloads over a quarter of it get their own allocation.
	arenaChunk = 16 << 10
)

// decoder turns StoredEvent bytes into envelopes, for the read path. It
// belongs to one goroutine. (The write path encodes with eventpb.Encoder.)
// It reads the protobuf wire format with protowire straight into the
// envelope, where eventpb.Decoder goes through proto.Unmarshal and a
// hivev1.StoredEvent: that saves a copy and eight allocations per event,
// which dominated a scan of the log. Strings are interned (streams, types
// and principals repeat) and payloads are carved from shared blocks, each
// slice capped at its own length so that appending to one never touches
// its neighbour. Unknown fields, from a later schema, are skipped.
type decoder struct {
	last  [numStringFields]string // the previous value of each string field
	strs  map[string]string
	arena []byte
}

// The string fields, indexing decoder.last.
const (
	strStream = iota
	strType
	strCorrelationID
	strCausationID
	strPrincipal
	numStringFields
)

// decode fills e, which must be the zero Envelope, from the StoredEvent
// encoding b, stored at position pos.
func (d *decoder) decode(b []byte, pos uint64, e *events.Envelope) error {
	if err := d.fill(b, pos, e); err != nil {
		return err
	}
	if e.Position != pos {
		return fmt.Errorf("%w: %q version %d is stored at position %d but records position %d", ErrCorrupt, e.Stream, e.Version, pos, e.Position)
	}
	return nil
}

// fill is decode without the check of the recorded position, which
// Verify reports itself. The one-byte tags, lengths and varints that make
// up most of an event are read inline; anything longer goes through
// protowire.
func (d *decoder) fill(b []byte, pos uint64, e *events.Envelope) error {
	var recorded int64
	var haveID, haveHash bool
	for len(b) > 0 {
		num, typ := protowire.Number(b[0]>>3), protowire.Type(b[0]&7)
		if b[0] >= 1<<3 && b[0] < 0x80 {
			b = b[1:]
		} else {
			var n int
			if num, typ, n = protowire.ConsumeTag(b); n < 0 {
				return corruptAt(pos, protowire.ParseError(n))
			}
			b = b[n:]
		}
		switch typ {
		case protowire.BytesType:
			var v []byte
			if len(b) > 0 && b[0] < 0x80 && int(b[0]) < len(b) {
				v, b = b[1:1+b[0]], b[1+b[0]:]
			} else {
				var n int
				if v, n = protowire.ConsumeBytes(b); n < 0 {
					return corruptAt(pos, protowire.ParseError(n))
				}
				b = b[n:]
			}
			switch num {
			case fieldID:
				haveID = len(v) == len(e.ID)
				copy(e.ID[:], v)
			case fieldStream:
				e.Stream = d.str(strStream, v)
			case fieldType:
				e.Type = d.str(strType, v)
			case fieldCorrelationID:
				e.CorrelationID = d.str(strCorrelationID, v)
			case fieldCausationID:
				e.CausationID = d.str(strCausationID, v)
			case fieldPrincipal:
				e.Principal = d.str(strPrincipal, v)
			case fieldPayload:
				e.Payload = d.bytes(v)
			case fieldHash:
				haveHash = len(v) == len(e.Hash)
				copy(e.Hash[:], v)
			}
		case protowire.VarintType:
			var v uint64
			if len(b) > 0 && b[0] < 0x80 {
				v, b = uint64(b[0]), b[1:]
			} else {
				var n int
				if v, n = protowire.ConsumeVarint(b); n < 0 {
					return corruptAt(pos, protowire.ParseError(n))
				}
				b = b[n:]
			}
			switch num {
			case fieldVersion:
				e.Version = v
			case fieldPosition:
				e.Position = v
			case fieldRecordedAt:
				recorded = int64(v)
			case fieldSchemaVersion:
				e.SchemaVersion = uint32(v)
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return corruptAt(pos, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	if !haveID || !haveHash {
		return fmt.Errorf("%w: event at position %d has a malformed id or hash", ErrCorrupt, pos)
	}
	e.RecordedAt = time.Unix(0, recorded).UTC()
	return nil
}

func corruptAt(pos uint64, err error) error {
	return fmt.Errorf("%w: event at position %d: %w", ErrCorrupt, pos, err)
}

// str returns v, the value of string field f, as a string shared with
// earlier equal strings.
func (d *decoder) str(f int, v []byte) string {
	if len(v) == 0 {
		return ""
	}
	if string(v) == d.last[f] {
		return d.last[f]
	}
	if s, ok := d.strs[string(v)]; ok {
		d.last[f] = s
		return s
	}
	if d.strs == nil || len(d.strs) >= maxInterned {
		d.strs = make(map[string]string, 64)
	}
	s := string(v)
	d.strs[s] = s
	d.last[f] = s
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
