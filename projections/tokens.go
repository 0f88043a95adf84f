package projections

import (
	"slices"
	"strings"
	"sync"
	"time"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Token is one row of the auth index: what a token may do, and the hash of
// its secret, which is never shown (json:"-").
type Token struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	AgentID   string    `json:"agent_id,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Hash      []byte    `json:"-"`
}

// Tokens is the auth index: every token issued, by id. It is safe for
// concurrent use: one projection goroutine applies, any number of requests
// look up.
type Tokens struct {
	mu         sync.RWMutex
	checkpoint uint64
	byID       map[string]*Token
	order      []string // ids in creation order
}

var _ Projection = (*Tokens)(nil)

// NewTokens returns an empty auth index.
func NewTokens() *Tokens { return &Tokens{byID: make(map[string]*Token)} }

// Name implements Projection.
func (t *Tokens) Name() string { return "tokens" }

// Checkpoint implements Projection.
func (t *Tokens) Checkpoint() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.checkpoint
}

// Apply implements Projection.
func (t *Tokens) Apply(env *events.Envelope) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if strings.HasPrefix(env.Type, "hive.v1.Token") {
		msg, err := events.Decode(env)
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *hivev1.TokenCreated:
			if _, ok := t.byID[m.GetTokenId()]; !ok {
				t.order = append(t.order, m.GetTokenId())
			}
			t.byID[m.GetTokenId()] = &Token{ID: m.GetTokenId(), Name: m.GetName(), Role: m.GetRole(), AgentID: m.GetAgentId(),
				CreatedBy: m.GetCreatedBy(), CreatedAt: time.Unix(0, m.GetAtUnixNano()).UTC(), Hash: slices.Clone(m.GetSecretHash())}
		case *hivev1.TokenRevoked:
			if tok, ok := t.byID[m.GetTokenId()]; ok {
				tok.Revoked, tok.RevokedAt = true, time.Unix(0, m.GetAtUnixNano()).UTC()
			}
		}
	}
	t.checkpoint = env.Position
	return nil
}

// Lookup returns the token with id, and whether there is one (revoked or not).
func (t *Tokens) Lookup(id string) (Token, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	tok, ok := t.byID[id]
	if !ok {
		return Token{}, false
	}
	return *tok, true // Hash is never written after creation: sharing it is safe
}

// List returns every token, in creation order.
func (t *Tokens) List() []Token {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]Token, 0, len(t.order))
	for _, id := range t.order {
		out = append(out, *t.byID[id])
	}
	return out
}

var _ Persistent = (*Tokens)(nil)

// tokenRecord is a token as saved, with its hash.
type tokenRecord struct {
	Token
	Hash []byte `json:"hash"`
}

// tokensState is the saved state of Tokens.
type tokensState struct {
	Checkpoint uint64        `json:"checkpoint"`
	Tokens     []tokenRecord `json:"tokens"` // in creation order
}

// MarshalState implements Persistent.
func (t *Tokens) MarshalState() ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	st := tokensState{Checkpoint: t.checkpoint, Tokens: make([]tokenRecord, 0, len(t.order))}
	for _, id := range t.order {
		tok := t.byID[id]
		st.Tokens = append(st.Tokens, tokenRecord{Token: *tok, Hash: tok.Hash})
	}
	return encodeState(t.Name(), st)
}

// UnmarshalState implements Persistent.
func (t *Tokens) UnmarshalState(data []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.checkpoint, t.byID, t.order = 0, map[string]*Token{}, nil
	var st tokensState
	if err := decodeState(t.Name(), data, &st); err != nil {
		return err
	}
	for _, r := range st.Tokens {
		tok := r.Token
		tok.Hash = r.Hash
		if _, dup := t.byID[tok.ID]; !dup {
			t.order = append(t.order, tok.ID)
		}
		t.byID[tok.ID] = &tok
	}
	t.checkpoint = st.Checkpoint
	return nil
}
