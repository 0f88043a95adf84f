package token_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/token"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

const (
	id      = "01936a2e-7b1c-7def-8a00-000000000001"
	agentID = "5b0f7c2e-1d3a-4f6b-8c9d-0e1f2a3b4c5d"
)

var hash = make([]byte, token.HashSize)

func given(t *testing.T, msgs ...proto.Message) token.State {
	t.Helper()
	var s token.State
	for i, m := range msgs {
		if err := s.Apply(&events.Envelope{Version: uint64(i + 1), Type: string(m.ProtoReflect().Descriptor().FullName())}, m); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func created(role token.Role, agent string) *hivev1.TokenCreated {
	return &hivev1.TokenCreated{TokenId: id, Name: "ci", Role: string(role), AgentId: agent, SecretHash: hash, CreatedBy: "token:boss", AtUnixNano: t0.UnixNano()}
}

func create(role token.Role, agent string) token.Create {
	return token.Create{TokenID: id, Name: "ci", Role: role, AgentID: agent, SecretHash: hash, By: "token:boss", At: t0}
}

var revoked = &hivev1.TokenRevoked{TokenId: id, RevokedBy: "token:boss", Reason: "leaked", AtUnixNano: t0.UnixNano()}

func TestDecide(t *testing.T) {
	tests := []struct {
		name      string
		given     []proto.Message
		when      any
		then      []proto.Message
		wantErr   error
		wantField string
	}{
		{name: "create a viewer token", when: create(token.RoleViewer, ""), then: []proto.Message{created(token.RoleViewer, "")}},
		{name: "create an agent token", when: create(token.RoleAgent, agentID), then: []proto.Message{created(token.RoleAgent, agentID)}},
		{name: "an agent token without its agent", when: create(token.RoleAgent, ""), wantErr: decision.ErrInvalid, wantField: "agent_id"},
		{name: "an operator token with an agent", when: create(token.RoleOperator, agentID), wantErr: decision.ErrInvalid, wantField: "agent_id"},
		{name: "an unknown role", when: create("root", ""), wantErr: decision.ErrInvalid, wantField: "role"},
		{
			name: "a name too long", when: token.Create{TokenID: id, Name: strings.Repeat("n", decision.MaxNameLength+1), Role: token.RoleViewer, SecretHash: hash, At: t0},
			wantErr: decision.ErrInvalid, wantField: "name",
		},
		{name: "no hash", when: token.Create{TokenID: id, Role: token.RoleViewer, At: t0}, wantErr: decision.ErrInvalid, wantField: "secret_hash"},
		{name: "an id not a UUID", when: token.Create{TokenID: "x", Role: token.RoleViewer, SecretHash: hash, At: t0}, wantErr: decision.ErrInvalid, wantField: "id"},
		{name: "create twice", given: []proto.Message{created(token.RoleAdmin, "")}, when: create(token.RoleAdmin, ""), wantErr: decision.ErrConflict},
		{
			name: "revoke", given: []proto.Message{created(token.RoleAdmin, "")},
			when: token.Revoke{By: "token:boss", Reason: "leaked", At: t0}, then: []proto.Message{revoked},
		},
		{
			name: "revoke a revoked token changes nothing", given: []proto.Message{created(token.RoleAdmin, ""), revoked},
			when: token.Revoke{By: "token:other", At: t0},
		},
		{name: "revoke no token", when: token.Revoke{At: t0}, wantErr: decision.ErrNotFound},
		{name: "another command", when: struct{}{}, wantErr: decision.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := given(t, tc.given...).Decide(tc.when)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			var invalid *decision.InvalidError
			if tc.wantField != "" && (!errors.As(err, &invalid) || invalid.Fields[0].Field != tc.wantField) {
				t.Fatalf("err = %v, want it to name field %q", err, tc.wantField)
			}
			if len(got) != len(tc.then) {
				t.Fatalf("decided %v, want %v", got, tc.then)
			}
			for i := range got {
				if !proto.Equal(got[i], tc.then[i]) {
					t.Errorf("event %d = %v, want %v", i, got[i], tc.then[i])
				}
			}
		})
	}
}

func TestViewHidesTheHash(t *testing.T) {
	s := given(t, created(token.RoleAgent, agentID), revoked)
	v := s.View().(token.State)
	if v.ID != id || v.Role != token.RoleAgent || v.AgentID != agentID || !v.Revoked || !v.CreatedAt.Equal(t0) || v.CreatedBy != "token:boss" {
		t.Fatalf("view = %+v", v)
	}
}

func TestMintParseVerify(t *testing.T) {
	m, err := token.Mint()
	if err != nil {
		t.Fatal(err)
	}
	id, secret, ok := token.Parse(m.Bearer)
	if !ok || id != m.ID || !token.Verify(m.Hash, secret) {
		t.Fatalf("Parse(%q) = %q, %v; Verify = %v", m.Bearer, id, ok, token.Verify(m.Hash, secret))
	}
	other, err := token.Mint()
	if err != nil {
		t.Fatal(err)
	}
	_, otherSecret, _ := token.Parse(other.Bearer)
	if token.Verify(m.Hash, otherSecret) {
		t.Fatal("another token's secret verified")
	}
	for _, bad := range []string{"", "hive_", "hive_" + m.ID, "bearer " + m.Bearer, "hive_not-a-uuid_" + strings.Repeat("A", 43), m.Bearer + "A", "hive_" + m.ID + "_!!"} {
		if _, _, ok := token.Parse(bad); ok {
			t.Errorf("Parse(%q) accepted it", bad)
		}
	}
}
