package events_test

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// appendField returns b with a string field.
func appendField(b []byte, num protowire.Number, v string) []byte {
	b = protowire.AppendTag(b, num, protowire.BytesType)
	return protowire.AppendString(b, v)
}

// suffix returns an upcaster that appends s to the payload.
func suffix(s string) events.Upcaster {
	return func(p []byte) ([]byte, error) { return append(bytes.Clone(p), s...), nil }
}

func TestUpcastersChain(t *testing.T) {
	u := events.NewUpcasters()
	if err := u.Register("t", 1, suffix("+2")); err != nil {
		t.Fatal(err)
	}
	if err := u.Register("t", 2, suffix("+3")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		typ     string
		version uint32
		want    string
		wantErr bool
	}{
		{"v1 goes through both", "t", 1, "p+2+3", false},
		{"v2 goes through the last", "t", 2, "p+3", false},
		{"current is untouched", "t", 3, "p", false},
		{"version 0 is version 1", "t", 0, "p+2+3", false},
		{"newer is refused", "t", 4, "", true},
		{"a type without upcasters is at 1", "other", 1, "p", false},
		{"a newer version of such a type is refused", "other", 2, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := u.Upcast(tt.typ, tt.version, []byte("p"))
			var sv *events.SchemaVersionError
			if tt.wantErr {
				if !errors.As(err, &sv) || !errors.Is(err, events.ErrSchemaVersion) || sv.Version != tt.version {
					t.Fatalf("Upcast = %q, %v; want a *SchemaVersionError for version %d", got, err, tt.version)
				}
				return
			}
			if err != nil || string(got) != tt.want {
				t.Fatalf("Upcast = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestUpcastersRegisterInOrder(t *testing.T) {
	u := events.NewUpcasters()
	if err := u.Register("t", 2, suffix("x")); !errors.Is(err, events.ErrInvalidArgument) {
		t.Fatalf("registering 2→3 before 1→2: %v, want ErrInvalidArgument", err)
	}
	if err := u.Register("t", 1, nil); !errors.Is(err, events.ErrInvalidArgument) {
		t.Fatalf("registering nil: %v, want ErrInvalidArgument", err)
	}
	if u.Current("t") != 1 {
		t.Fatalf("Current = %d after refused registrations, want 1", u.Current("t"))
	}
}

// TestTaskFailedVersion1 decodes a TaskFailed written with schema version
// 1 (cause and reason as fields 8 and 9) as the current message, and
// checks that the upcast bytes are what the current version encodes.
func TestTaskFailedVersion1(t *testing.T) {
	var v1 []byte
	v1 = appendField(v1, 1, "s")
	v1 = appendField(v1, 2, "s.1")
	v1 = protowire.AppendTag(v1, 7, protowire.VarintType)
	v1 = protowire.AppendVarint(v1, 3)
	v1 = appendField(v1, 8, "timeout")
	v1 = appendField(v1, 9, "no result within 1m0s")
	v1 = protowire.AppendTag(v1, 10, protowire.VarintType)
	v1 = protowire.AppendVarint(v1, 42)
	env := &events.Envelope{Stream: "swarm-s", Version: 9, Type: "hive.v1.TaskFailed", SchemaVersion: 1, Payload: v1}

	msg, err := events.Decode(env)
	if err != nil {
		t.Fatal(err)
	}
	want := &hivev1.TaskFailed{SwarmId: "s", TaskId: "s.1", Attempt: 3, AtUnixNano: 42,
		Failure: &hivev1.TaskFailure{Cause: "timeout", Reason: "no result within 1m0s"}}
	if !proto.Equal(msg, want) {
		t.Fatalf("decoded %v, want %v", msg, want)
	}
	_, current, err := events.Encode(want)
	if err != nil {
		t.Fatal(err)
	}
	up, err := events.HiveUpcasters().Upcast(env.Type, 1, v1)
	if err != nil || !bytes.Equal(up, current) {
		t.Fatalf("upcast bytes %x (%v), want the current encoding %x", up, err, current)
	}
}

func TestDecodeCurrentAndNewer(t *testing.T) {
	msg := &hivev1.TaskFailed{TaskId: "s.1", Failure: &hivev1.TaskFailure{Cause: "failed"}}
	e, err := events.NewEvent(msg, events.Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if e.SchemaVersion != 2 || events.SchemaVersion("hive.v1.AgentRegistered") != 1 {
		t.Fatalf("NewEvent stamped version %d, want 2; AgentRegistered at %d, want 1", e.SchemaVersion, events.SchemaVersion("hive.v1.AgentRegistered"))
	}
	env := &events.Envelope{Type: e.Type, SchemaVersion: e.SchemaVersion, Payload: e.Payload}
	got, err := events.Decode(env)
	if err != nil || !proto.Equal(got, msg) {
		t.Fatalf("Decode of a current event = %v, %v; want %v", got, err, msg)
	}
	env.SchemaVersion = 3
	if _, err := events.Decode(env); !errors.Is(err, events.ErrSchemaVersion) {
		t.Fatalf("Decode of version 3 = %v, want ErrSchemaVersion", err)
	}
}

func TestUpcastMalformed(t *testing.T) {
	if _, err := events.HiveUpcasters().Upcast("hive.v1.TaskFailed", 1, []byte{0x42}); err == nil {
		t.Fatal("upcasting a truncated payload succeeded")
	}
}
