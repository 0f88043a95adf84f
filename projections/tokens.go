package projections

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

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
	// Revoked: the token may no longer be used, since RevokedAt, for
	// Reason (the one given with the revocation, or ReasonDeregistered).
	Revoked   bool      `json:"revoked"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	Reason    string    `json:"reason,omitempty"`
	Hash      []byte    `json:"-"`
}

// Reasons an agent token ends with its agent's registration.
const (
	// ReasonDeregistered: the registration the token was bound to ended.
	ReasonDeregistered = "agent deregistered"
	// ReasonNotRegistered: the token was created while its agent was not
	// registered, so it is bound to no registration.
	ReasonNotRegistered = "agent not registered when the token was created"
)

// Types of the agent events the auth index follows.
const (
	typeAgentRegistered   = "hive.v1.AgentRegistered"
	typeAgentDeregistered = "hive.v1.AgentDeregistered"
)

// Tokens is the auth index: every token issued, by id. It is safe for
// concurrent use: one projection goroutine applies, any number of requests
// look up.
//
// An agent token is bound to its agent's registration, not to the agent's
// id: agent ids derive from names, so a name deregistered and registered
// again is the same id, and a token bound to the id would act for the new
// registration. The index follows the agents' registrations in log order:
// a TokenCreated binds to the registration in effect at that point of the
// log (none: the token is born revoked), and the token is revoked with
// ReasonDeregistered when the AgentDeregistered of that registration is
// applied, before any event of a later registration can be, so no event
// of a new registration ever finds the old token valid. This is derived
// from the log, deterministically, instead of recorded as TokenRevoked
// events by a reaction to the deregistration: a reaction runs after the
// deregistration, leaving a window in which a quick registration again
// would find the old tokens valid, and a crash there would leave them
// valid until the reaction is retried. (The token's own stream does not
// show this end: its entity knows only its own events.)
//
// Watch tells long-lived requests the moment their token ends, revoked or
// with its registration.
type Tokens struct {
	mu         sync.RWMutex
	checkpoint uint64
	byID       map[string]*Token
	order      []string // ids in creation order
	// registered are the agents registered at the checkpoint.
	registered map[string]bool
	// bound are, per agent, the ids of its tokens that are not revoked.
	bound map[string][]string
	// watches are, per token id, the functions to call when it ends.
	watches map[string]map[*watch]struct{}
}

// watch is one call of Watch.
type watch struct{ ended func() }

var _ Projection = (*Tokens)(nil)

// NewTokens returns an empty auth index.
func NewTokens() *Tokens {
	t := &Tokens{watches: map[string]map[*watch]struct{}{}}
	t.reset()
	return t
}

// reset empties the index. t.mu is held (or t is new).
func (t *Tokens) reset() {
	t.checkpoint, t.byID, t.order = 0, map[string]*Token{}, nil
	t.registered, t.bound = map[string]bool{}, map[string][]string{}
}

// Name implements Projection.
func (t *Tokens) Name() string { return "tokens" }

// Checkpoint implements Projection.
func (t *Tokens) Checkpoint() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.checkpoint
}

// Apply implements Projection.
func (t *Tokens) Apply(c *events.Committed) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.applyOne(c)
}

// ApplyBatch implements Batcher.
func (t *Tokens) ApplyBatch(batch []*events.Committed) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return applyEach(batch, t.applyOne)
}

// applyOne applies c; t.mu is held.
func (t *Tokens) applyOne(c *events.Committed) error {
	env := &c.Envelope
	if strings.HasPrefix(env.Type, "hive.v1.Token") || env.Type == typeAgentRegistered || env.Type == typeAgentDeregistered {
		msg, err := c.Message()
		if err != nil {
			return err
		}
		t.apply(env, msg)
	}
	t.checkpoint = env.Position
	return nil
}

// apply applies one event the index follows. t.mu is held.
func (t *Tokens) apply(env *events.Envelope, msg proto.Message) {
	switch m := msg.(type) {
	case *hivev1.TokenCreated:
		t.create(m)
	case *hivev1.TokenRevoked:
		if tok, ok := t.byID[m.GetTokenId()]; ok {
			t.revoke(tok, time.Unix(0, m.GetAtUnixNano()).UTC(), m.GetReason())
		}
	case *hivev1.AgentRegistered:
		t.registered[m.GetAgentId()] = true
	case *hivev1.AgentDeregistered:
		ids := t.bound[m.GetAgentId()]
		delete(t.registered, m.GetAgentId())
		delete(t.bound, m.GetAgentId())
		for _, id := range ids {
			t.revoke(t.byID[id], env.RecordedAt.UTC(), ReasonDeregistered)
		}
	}
}

// create adds a token, bound to its agent's registration if it is an
// agent token. t.mu is held.
func (t *Tokens) create(m *hivev1.TokenCreated) {
	id, at := m.GetTokenId(), time.Unix(0, m.GetAtUnixNano()).UTC()
	if _, ok := t.byID[id]; !ok {
		t.order = append(t.order, id)
	}
	tok := &Token{ID: id, Name: m.GetName(), Role: m.GetRole(), AgentID: m.GetAgentId(),
		CreatedBy: m.GetCreatedBy(), CreatedAt: at, Hash: slices.Clone(m.GetSecretHash())}
	t.byID[id] = tok
	switch {
	case tok.AgentID == "":
	case t.registered[tok.AgentID]:
		t.bound[tok.AgentID] = append(t.bound[tok.AgentID], id)
	default:
		t.revoke(tok, at, ReasonNotRegistered)
	}
}

// revoke ends tok, unless it has ended already, and tells its watches.
// t.mu is held.
func (t *Tokens) revoke(tok *Token, at time.Time, reason string) {
	if tok.Revoked {
		return
	}
	tok.Revoked, tok.RevokedAt, tok.Reason = true, at, reason
	if ids := t.bound[tok.AgentID]; tok.AgentID != "" {
		if ids = slices.DeleteFunc(ids, func(id string) bool { return id == tok.ID }); len(ids) == 0 {
			delete(t.bound, tok.AgentID)
		} else {
			t.bound[tok.AgentID] = ids
		}
	}
	t.ended(tok.ID)
}

// ended calls and forgets the watches of the token id. t.mu is held.
func (t *Tokens) ended(id string) {
	for w := range t.watches[id] {
		w.ended()
	}
	delete(t.watches, id)
}

// Watch calls ended once the token id can no longer be used: revoked, or
// bound to a registration that ended (at once, before Watch returns, if
// it already is). ended is called with the index locked, from the
// goroutine applying the event, before the checkpoint passes the event:
// it must not block or call back into the index; cancelling a context is
// what it is for. stop forgets the watch; it may be called more than once.
func (t *Tokens) Watch(id string, ended func()) (stop func()) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if tok, ok := t.byID[id]; ok && tok.Revoked {
		ended()
		return func() {}
	}
	w := &watch{ended: ended}
	if t.watches[id] == nil {
		t.watches[id] = map[*watch]struct{}{}
	}
	t.watches[id][w] = struct{}{}
	return func() {
		t.mu.Lock()
		defer t.mu.Unlock()
		if ws := t.watches[id]; ws != nil {
			delete(ws, w)
			if len(ws) == 0 {
				delete(t.watches, id)
			}
		}
	}
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

// tokensFormat is the version of tokensState: a state saved in another
// (before the index followed registrations) is rebuilt from the log.
const tokensFormat = 2

// tokensState is the saved state of Tokens.
type tokensState struct {
	Format     int           `json:"format"`
	Checkpoint uint64        `json:"checkpoint"`
	Tokens     []tokenRecord `json:"tokens"` // in creation order
	// Registered are the agents registered at the checkpoint.
	Registered []string `json:"registered"`
}

// MarshalState implements Persistent.
func (t *Tokens) MarshalState() ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	st := tokensState{Format: tokensFormat, Checkpoint: t.checkpoint, Tokens: make([]tokenRecord, 0, len(t.order)),
		Registered: slices.Sorted(maps.Keys(t.registered))}
	for _, id := range t.order {
		tok := t.byID[id]
		st.Tokens = append(st.Tokens, tokenRecord{Token: *tok, Hash: tok.Hash})
	}
	return encodeState(t.Name(), st)
}

// UnmarshalState implements Persistent. The watches stay; those of tokens
// the state has revoked are told.
func (t *Tokens) UnmarshalState(data []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.reset()
	var st tokensState
	if err := decodeState(t.Name(), data, &st); err != nil {
		return err
	}
	if st.Format != tokensFormat {
		return fmt.Errorf("projections: tokens state of format %d, want %d", st.Format, tokensFormat)
	}
	for _, r := range st.Tokens {
		tok := r.Token
		tok.Hash = r.Hash
		if _, dup := t.byID[tok.ID]; !dup {
			t.order = append(t.order, tok.ID)
		}
		t.byID[tok.ID] = &tok
		if tok.AgentID != "" && !tok.Revoked {
			t.bound[tok.AgentID] = append(t.bound[tok.AgentID], tok.ID)
		}
	}
	for _, id := range st.Registered {
		t.registered[id] = true
	}
	t.checkpoint = st.Checkpoint
	for id := range t.watches {
		if tok, ok := t.byID[id]; ok && tok.Revoked {
			t.ended(id)
		}
	}
	return nil
}
