package api

import "github.com/gin-gonic/gin"

// Principal is who is calling: the identity commands are recorded as issued
// by, and what it may do.
type Principal struct {
	// ID names the caller in events, e.g. "token:<id>".
	ID string `json:"id"`
	// Role is admin, operator, agent or viewer.
	Role string `json:"role"`
	// AgentID is the agent an agent token acts as.
	AgentID string `json:"agent_id,omitempty"`
	// tokenID is the token the request authenticated with.
	tokenID string
}

// principalKey is where the authenticated principal sits in a gin context.
const principalKey = "hive.principal"

// anonymousPrincipal is the caller when no authentication ran.
var anonymousPrincipal = Principal{ID: anonymous}

// principalOf returns the request's principal.
func principalOf(c *gin.Context) Principal {
	if p, ok := c.Get(principalKey); ok {
		return p.(Principal)
	}
	return anonymousPrincipal
}
