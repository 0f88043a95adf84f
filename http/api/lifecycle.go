package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"hive/actors"
	"hive/actors/agent"
)

// reasonRequest is the optional body of POST /v1/agents/{id}/drain.
type reasonRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) heartbeat(c *gin.Context) {
	s.agentCommand(c, agent.Heartbeat{At: time.Now().UTC(), HeartbeatTimeout: s.cfg.HeartbeatTimeout})
}

func (s *Server) drainAgent(c *gin.Context) {
	var req reasonRequest
	if c.Request.ContentLength != 0 {
		if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
			s.fail(c, err)
			return
		}
	}
	s.agentCommand(c, agent.Drain{Reason: req.Reason})
}

func (s *Server) deregisterAgent(c *gin.Context) {
	s.agentCommand(c, agent.Deregister{Reason: c.Query("reason")})
}

// agentCommand sends body to the agent named in the path and answers 200
// with the agent as the command left it.
func (s *Server) agentCommand(c *gin.Context, body actors.Body) {
	id := c.Param("id")
	if _, err := uuid.Parse(id); err != nil {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no agent with id " + strconv.Quote(id)})
		return
	}
	s.send(c, actors.Ref{Kind: agent.Kind, ID: id}, body, http.StatusOK)
}
