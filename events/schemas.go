package events

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
)

// The schema history of Hive's own event types. Stored events live
// forever, so every change of a payload's shape that old readers cannot
// read as it is bumps the type's schema version and registers here the
// upcaster from the previous one.
//
//   - hive.v1.TaskFailed 1→2: cause (field 8) and reason (field 9) moved
//     into failure (field 11, a hive.v1.TaskFailure with cause 1 and
//     reason 2).
var hiveSchemas = HiveUpcasters()

// HiveUpcasters returns the upcasters of Hive's event types: what Decode
// applies, and what NewEvent's schema versions come from.
func HiveUpcasters() *Upcasters {
	return &Upcasters{chains: map[string][]Upcaster{
		"hive.v1.TaskFailed": {nestFields(11, map[protowire.Number]protowire.Number{8: 1, 9: 2})},
	}}
}

// SchemaVersion returns the current schema version of Hive's event type
// typ: the version new events of the type are written with.
func SchemaVersion(typ string) uint32 { return hiveSchemas.Current(typ) }

// nestFields returns an upcaster that moves the top-level fields named in
// moved into one embedded message at field into, renumbered as moved says,
// keeping their order. The other fields stay as they are; the message is
// appended after them, which keeps a deterministic encoding in field order
// when into is the highest field number.
func nestFields(into protowire.Number, moved map[protowire.Number]protowire.Number) Upcaster {
	return func(payload []byte) ([]byte, error) {
		out := make([]byte, 0, len(payload)+4)
		var inner []byte
		for b := payload; len(b) > 0; {
			num, typ, n := protowire.ConsumeTag(b)
			if n < 0 {
				return nil, fmt.Errorf("field tag: %w", protowire.ParseError(n))
			}
			m := protowire.ConsumeFieldValue(num, typ, b[n:])
			if m < 0 {
				return nil, fmt.Errorf("field %d: %w", num, protowire.ParseError(m))
			}
			if to, ok := moved[num]; ok {
				inner = protowire.AppendTag(inner, to, typ)
				inner = append(inner, b[n:n+m]...)
			} else {
				out = append(out, b[:n+m]...)
			}
			b = b[n+m:]
		}
		if len(inner) > 0 {
			out = protowire.AppendTag(out, into, protowire.BytesType)
			out = protowire.AppendBytes(out, inner)
		}
		return out, nil
	}
}
