package projections_test

import (
	"encoding/json"
	"strings"
	"testing"

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
