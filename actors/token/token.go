// Package token holds the decisions of the API token entity: a credential
// with a role, issued by an admin and revocable. Only a SHA-256 hash of a
// token's secret is recorded (see Mint and Verify for the bearer format).
package token

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Kind is the entity kind of tokens; a token's stream is "token-<id>".
const Kind = "token"

// Role is what a token may do.
type Role string

// Roles. Admin may do everything; operator runs swarms, workflows,
// definitions, approvals and votes; an agent token acts only as its own
// agent; a viewer only reads.
const (
	RoleAdmin    Role = "admin"
	RoleOperator Role = "operator"
	RoleAgent    Role = "agent"
	RoleViewer   Role = "viewer"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleAdmin, RoleOperator, RoleAgent, RoleViewer}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool {
	switch r {
	case RoleAdmin, RoleOperator, RoleAgent, RoleViewer:
		return true
	}
	return false
}

var (
	// ErrNotFound: no token with that id was created.
	ErrNotFound = fmt.Errorf("%w: token", decision.ErrNotFound)
	// ErrExists: a token with that id was created already.
	ErrExists = fmt.Errorf("%w: token id already used", decision.ErrConflict)
)

// State is one token, rebuilt from its events.
type State struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	AgentID   string    `json:"agent_id,omitempty"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	Revoked   bool      `json:"revoked"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
	// secretHash is never shown.
	secretHash []byte
}

// Create issues a token.
type Create struct {
	TokenID    string
	Name       string
	Role       Role
	AgentID    string
	SecretHash []byte
	// By is the principal issuing the token.
	By string
	At time.Time
}

// CommandName implements the runtime's command naming.
func (Create) CommandName() string { return "CreateToken" }

// Validate checks the command on its own, before it reaches the entity.
func (c Create) Validate() error {
	var f decision.Fields
	if _, err := uuid.Parse(c.TokenID); err != nil {
		f.Add("id", "must be a UUID")
	}
	f.Text("name", c.Name, decision.MaxNameLength, false)
	switch {
	case !c.Role.Valid():
		f.Add("role", "must be admin, operator, agent or viewer")
	case c.Role == RoleAgent:
		if _, err := uuid.Parse(c.AgentID); err != nil {
			f.Add("agent_id", "an agent token needs the id of its agent")
		}
	case c.AgentID != "":
		f.Add("agent_id", "only agent tokens act as an agent")
	}
	if len(c.SecretHash) != HashSize {
		f.Add("secret_hash", fmt.Sprintf("must be %d bytes", HashSize))
	}
	return f.Err()
}

// Revoke makes a token unusable. Revoking a revoked token changes nothing.
type Revoke struct {
	By, Reason string
	At         time.Time
}

// CommandName implements the runtime's command naming.
func (Revoke) CommandName() string { return "RevokeToken" }

// Decide returns the events command c causes, or why it is rejected.
func (s State) Decide(c any) ([]proto.Message, error) {
	switch c := c.(type) {
	case Create:
		return s.create(c)
	case Revoke:
		return s.revoke(c)
	default:
		return nil, fmt.Errorf("%w: a token cannot handle %T", decision.ErrInvalid, c)
	}
}

func (s State) create(c Create) ([]proto.Message, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if s.ID != "" {
		return nil, fmt.Errorf("%w: %s", ErrExists, s.ID)
	}
	return []proto.Message{&hivev1.TokenCreated{TokenId: c.TokenID, Name: c.Name, Role: string(c.Role), AgentId: c.AgentID,
		SecretHash: c.SecretHash, CreatedBy: c.By, AtUnixNano: c.At.UnixNano()}}, nil
}

func (s State) revoke(c Revoke) ([]proto.Message, error) {
	if s.ID == "" {
		return nil, ErrNotFound
	}
	if s.Revoked {
		return nil, nil
	}
	return []proto.Message{&hivev1.TokenRevoked{TokenId: s.ID, RevokedBy: c.By, Reason: c.Reason, AtUnixNano: c.At.UnixNano()}}, nil
}

// Apply evolves the state by one recorded event.
func (s *State) Apply(env *events.Envelope, msg proto.Message) error {
	switch m := msg.(type) {
	case *hivev1.TokenCreated:
		*s = State{ID: m.GetTokenId(), Name: m.GetName(), Role: Role(m.GetRole()), AgentID: m.GetAgentId(),
			CreatedBy: m.GetCreatedBy(), CreatedAt: time.Unix(0, m.GetAtUnixNano()).UTC(), secretHash: m.GetSecretHash()}
	case *hivev1.TokenRevoked:
		s.Revoked, s.RevokedAt = true, time.Unix(0, m.GetAtUnixNano()).UTC()
	default:
		return fmt.Errorf("token %s: %w: %s", s.ID, events.ErrUnknownType, env.Type)
	}
	return nil
}

// View returns a copy of the state without the secret's hash.
func (s *State) View() any {
	v := *s
	v.secretHash = nil
	return v
}
