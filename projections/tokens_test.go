package projections_test

import (
	"encoding/json"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"hive/projections"
	hivev1 "hive/proto/hive/v1"
)

func TestTokensIndexFollowsCreationAndRevocation(t *testing.T) {
	idx := projections.NewTokens()
	feed(t, idx, "token-a", &hivev1.TokenCreated{TokenId: "a", Name: "ci", Role: "operator", SecretHash: []byte("hash-a"), CreatedBy: "system"})
	feed(t, idx, "token-b", &hivev1.TokenCreated{TokenId: "b", Role: "agent", AgentId: "x", SecretHash: []byte("hash-b")},
		&hivev1.TokenRevoked{TokenId: "b", Reason: "leaked"})
	a, ok := idx.Lookup("a")
	if !ok || a.Role != "operator" || a.Name != "ci" || string(a.Hash) != "hash-a" || a.Revoked {
		t.Fatalf("token a = %+v, %v", a, ok)
	}
	if b, ok := idx.Lookup("b"); !ok || !b.Revoked || b.AgentID != "x" || b.RevokedAt.IsZero() {
		t.Fatalf("token b = %+v, %v", b, ok)
	}
	if _, ok := idx.Lookup("c"); ok {
		t.Fatal("an unknown token was found")
	}
	list := idx.List()
	if len(list) != 2 || list[0].ID != "a" || list[1].ID != "b" {
		t.Fatalf("list = %+v", list)
	}
	raw, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "hash") {
		t.Fatalf("the list shows a hash: %s", raw)
	}
}

func TestAgentTokensAreBoundToTheRegistration(t *testing.T) {
	idx := projections.NewTokens()
	agent := func(t *testing.T, msgs ...proto.Message) { t.Helper(); feed(t, idx, "agent-x", msgs...) }
	token := func(t *testing.T, id string) {
		t.Helper()
		feed(t, idx, "token-"+id, &hivev1.TokenCreated{TokenId: id, Role: "agent", AgentId: "x", SecretHash: []byte("h")})
	}
	valid := func(id string) bool { tok, ok := idx.Lookup(id); return ok && !tok.Revoked }
	token(t, "early")
	agent(t, &hivev1.AgentRegistered{AgentId: "x", Name: "x"})
	token(t, "first")
	var ended []string
	stop := idx.Watch("first", func() { ended = append(ended, "first") })
	defer stop()
	if valid("early") || !valid("first") {
		t.Fatalf("before any registration: valid %v; during the first: valid %v", valid("early"), valid("first"))
	}
	if tok, _ := idx.Lookup("early"); tok.Reason != projections.ReasonNotRegistered {
		t.Fatalf("a token made before its agent registered: %+v", tok)
	}
	agent(t, &hivev1.AgentDeregistered{AgentId: "x", Reason: "retired"})
	if tok, _ := idx.Lookup("first"); !tok.Revoked || tok.Reason != projections.ReasonDeregistered || tok.RevokedAt.IsZero() {
		t.Fatalf("after the deregistration: %+v", tok)
	}
	if len(ended) != 1 {
		t.Fatalf("the watch of the first registration's token was told %d times, want once", len(ended))
	}
	agent(t, &hivev1.AgentRegistered{AgentId: "x", Name: "x"})
	token(t, "second")
	if valid("first") || !valid("second") {
		t.Fatalf("registered again: the first registration's token valid %v, the second's %v", valid("first"), valid("second"))
	}
	saved, err := idx.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	restored := projections.NewTokens()
	if err := restored.UnmarshalState(saved); err != nil {
		t.Fatal(err)
	}
	feed(t, restored, "token-third", &hivev1.TokenCreated{TokenId: "third", Role: "agent", AgentId: "x", SecretHash: []byte("h")})
	feed(t, restored, "agent-x", &hivev1.AgentDeregistered{AgentId: "x"})
	for _, id := range []string{"second", "third"} {
		if tok, _ := restored.Lookup(id); !tok.Revoked || tok.Reason != projections.ReasonDeregistered {
			t.Errorf("restored index, token %s after the deregistration: %+v", id, tok)
		}
	}
}

func TestTokenWatches(t *testing.T) {
	idx := projections.NewTokens()
	feed(t, idx, "token-a", &hivev1.TokenCreated{TokenId: "a", Role: "viewer", SecretHash: []byte("h")})
	told := map[string]int{}
	stopKept := idx.Watch("a", func() { told["kept"]++ })
	defer stopKept()
	stopped := idx.Watch("a", func() { told["stopped"]++ })
	stopped()
	stopped()
	feed(t, idx, "token-a", &hivev1.TokenRevoked{TokenId: "a", Reason: "leaked"})
	feed(t, idx, "token-a", &hivev1.TokenRevoked{TokenId: "a", Reason: "again"})
	idx.Watch("a", func() { told["late"]++ })()
	if told["kept"] != 1 || told["stopped"] != 0 || told["late"] != 1 {
		t.Fatalf("told %v, want kept and late once, stopped never", told)
	}
	if tok, _ := idx.Lookup("a"); tok.Reason != "leaked" {
		t.Fatalf("revoked twice: reason %q, want the first", tok.Reason)
	}
}

func TestTokensStateOfAnOlderFormatIsRebuilt(t *testing.T) {
	idx := projections.NewTokens()
	old := `{"checkpoint":7,"tokens":[{"id":"a","role":"agent","agent_id":"x","hash":"aGFzaA=="}]}`
	if err := idx.UnmarshalState([]byte(old)); err == nil {
		t.Fatal("a state saved before the index followed registrations was restored: its agent tokens would be bound to nothing")
	}
	if idx.Checkpoint() != 0 || len(idx.List()) != 0 {
		t.Fatalf("after refusing the state: checkpoint %d, %d tokens; want empty", idx.Checkpoint(), len(idx.List()))
	}
}
