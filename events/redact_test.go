package events_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

func TestRedactClearsTheSecretsOnly(t *testing.T) {
	msg := &hivev1.TokenCreated{TokenId: "t", Name: "ci", Role: "agent", AgentId: "a", SecretHash: []byte("hash"), CreatedBy: "admin"}
	want := proto.Clone(msg).(*hivev1.TokenCreated)
	want.SecretHash = nil
	if got := events.Redact(msg); !slices.Equal(got, []string{"secretHash"}) {
		t.Fatalf("Redact cleared %v, want [secretHash]", got)
	}
	if !proto.Equal(msg, want) {
		t.Fatalf("redacted: %v, want %v", msg, want)
	}
	if got := events.Redact(msg); len(got) != 0 {
		t.Fatalf("redacting again cleared %v", got)
	}
	if got := events.Redact(&hivev1.TokenRevoked{TokenId: "t", Reason: "leaked"}); len(got) != 0 {
		t.Fatalf("a TokenRevoked: cleared %v", got)
	}
}

// TestEverySecretFieldIsRedacted finds the fields of every Hive message
// whose names say they hold a secret and checks that each is marked
// [debug_redact = true], so that a new one cannot be shown by mistake.
func TestEverySecretFieldIsRedacted(t *testing.T) {
	protoregistry.GlobalFiles.RangeFilesByPackage("hive.v1", func(fd protoreflect.FileDescriptor) bool {
		msgs := fd.Messages()
		for i := range msgs.Len() {
			checkSecrets(t, msgs.Get(i))
		}
		return true
	})
}

func checkSecrets(t *testing.T, md protoreflect.MessageDescriptor) {
	t.Helper()
	fields := md.Fields()
	for i := range fields.Len() {
		f := fields.Get(i)
		name := string(f.Name())
		secret := false
		for _, word := range []string{"secret", "password", "api_key", "private_key", "credential"} {
			secret = secret || strings.Contains(name, word)
		}
		if secret && !f.Options().(*descriptorpb.FieldOptions).GetDebugRedact() {
			t.Errorf("%s holds a secret but is not marked [debug_redact = true]", f.FullName())
		}
	}
	nested := md.Messages()
	for i := range nested.Len() {
		checkSecrets(t, nested.Get(i))
	}
}
