package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"hive/actors"
	"hive/actors/decision"
	"hive/actors/token"
	"hive/projections"
)

func (s *Server) tokenRoutes(v1 *gin.RouterGroup) {
	v1.POST("/tokens", s.createToken)
	v1.GET("/tokens", s.listTokens)
	v1.DELETE("/tokens/:id", s.revokeToken)
}

// createTokenRequest is the body of POST /v1/tokens.
type createTokenRequest struct {
	Role    string `json:"role"`
	AgentID string `json:"agent_id"`
	Name    string `json:"name"`
}

// createdToken is the answer to POST /v1/tokens: the only time the bearer
// token is shown.
type createdToken struct {
	token.State
	Token string `json:"token"`
}

// createToken issues a token, usable as soon as the answer arrives.
func (s *Server) createToken(c *gin.Context) {
	if c.GetHeader(idempotencyHeader) != "" {
		// A recorded response would keep the secret in the log.
		s.fail(c, malformed(idempotencyHeader, "is not accepted here: the response holds the token's secret, which Hive does not keep"))
		return
	}
	var req createTokenRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	minted, err := token.Mint()
	if err != nil {
		s.fail(c, err)
		return
	}
	body := token.Create{TokenID: minted.ID, Name: req.Name, Role: token.Role(req.Role), AgentID: req.AgentID,
		SecretHash: minted.Hash, By: principalOf(c).ID, At: time.Now().UTC()}
	if err := body.Validate(); err != nil {
		s.fail(c, err)
		return
	}
	if ag, ok := s.agents.Get(req.AgentID); body.Role == token.RoleAgent && (!ok || ag.Status == "gone") {
		var f decision.Fields
		f.Add("agent_id", "no agent with this id is registered (an agent token is bound to its agent's registration)")
		s.fail(c, f.Err())
		return
	}
	res, ok := s.sendQuiet(c, actors.Ref{Kind: token.Kind, ID: minted.ID}, body)
	if !ok || !s.awaitAuthIndex(c, res.LastPosition) {
		return
	}
	c.Header("Location", "/v1/tokens/"+minted.ID)
	writeResult(c, http.StatusCreated, createdToken{State: res.State.(token.State), Token: minted.Bearer}, res.LastPosition)
}

// listTokens lists every token, revoked ones too; never a secret or its hash.
func (s *Server) listTokens(c *gin.Context) {
	tokens := s.tokens.List()
	if tokens == nil {
		tokens = []projections.Token{}
	}
	c.JSON(http.StatusOK, gin.H{"tokens": tokens})
}

// revokeToken revokes a token (?reason= says why). The answer comes once
// the auth index refuses the token.
func (s *Server) revokeToken(c *gin.Context) {
	id := c.Param("id")
	if _, err := uuid.Parse(id); err != nil {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no token with id " + strconv.Quote(id)})
		return
	}
	res, ok := s.sendQuiet(c, actors.Ref{Kind: token.Kind, ID: id}, token.Revoke{By: principalOf(c).ID, Reason: c.Query("reason"), At: time.Now().UTC()})
	if !ok || !s.awaitAuthIndex(c, res.LastPosition) {
		return
	}
	writeResult(c, http.StatusOK, res.State, res.LastPosition)
}

// awaitAuthIndex waits until the read models, the auth index among them,
// reflect the event at pos, answering a failure and reporting false if
// they do not: a token's change must be in effect when it is answered.
func (s *Server) awaitAuthIndex(c *gin.Context, pos uint64) bool {
	if err := s.read.WaitFor(c.Request.Context(), pos); err != nil {
		s.fail(c, err)
		return false
	}
	return true
}
