package events

import (
	"slices"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
)

// Redact clears, in msg and the messages it holds, every field set that
// the schema marks as a secret ([debug_redact = true], e.g.
// TokenCreated.secret_hash), and returns the JSON names of the fields it
// cleared, as sorted paths ("inner.secret", "secretHash"; a list or map
// element has no index in its path). The API shows events redacted
// wherever it shows them as JSON; their exact payload bytes, which the hash
// chain covers, hold the secrets, and so does the readable payload of an
// NDJSON archive line, which must match those bytes (hive export refuses
// an event that a non-admin token was served redacted).
func Redact(msg proto.Message) []string {
	cleared := redact(msg.ProtoReflect(), "", nil)
	slices.Sort(cleared)
	return slices.Compact(cleared)
}

func redact(m protoreflect.Message, prefix string, cleared []string) []string {
	m.Range(func(f protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := prefix + f.JSONName()
		if opts, ok := f.Options().(*descriptorpb.FieldOptions); ok && opts.GetDebugRedact() {
			m.Clear(f)
			cleared = append(cleared, path)
			return true
		}
		switch {
		case f.IsList() && f.Message() != nil:
			list := v.List()
			for i := range list.Len() {
				cleared = redact(list.Get(i).Message(), path+".", cleared)
			}
		case f.IsMap() && f.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, e protoreflect.Value) bool {
				cleared = redact(e.Message(), path+".", cleared)
				return true
			})
		case f.Message() != nil && !f.IsMap():
			cleared = redact(v.Message(), path+".", cleared)
		}
		return true
	})
	return cleared
}
