package api

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hive/actors"
	"hive/actors/agent"
	"hive/events"
	"hive/projections"
)

// positionHeader carries the global position of a command's last event.
const positionHeader = "Hive-Position"

// registerAgentRequest is the body of POST /v1/agents.
type registerAgentRequest struct {
	Name           string            `json:"name"`
	Capabilities   []string          `json:"capabilities"`
	Labels         map[string]string `json:"labels"`
	MaxConcurrency int               `json:"max_concurrency"`
}

func (s *Server) registerAgent(c *gin.Context) {
	var req registerAgentRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	body := agent.Register{Name: req.Name, Capabilities: req.Capabilities, Labels: req.Labels, MaxConcurrency: req.MaxConcurrency,
		At: time.Now().UTC(), HeartbeatTimeout: s.cfg.HeartbeatTimeout}
	id := agent.IDFor(req.Name)
	c.Header("Location", "/v1/agents/"+id)
	s.send(c, actors.Ref{Kind: agent.Kind, ID: id}, body, http.StatusCreated)
}

// awaitReadModels waits, within ConsistencyWait, until the read models
// reflect the event at pos, so that the client's next read sees its write.
// The command is durable either way; a slow read side only delays reads.
func (s *Server) awaitReadModels(c *gin.Context, pos uint64) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.ConsistencyWait)
	defer cancel()
	if err := s.read.WaitFor(ctx, pos); err != nil {
		s.logger.Warn("read models behind a command's response", "position", pos, "err", err)
	}
}

// listAgents lists agents, a page at a time, filtered by status,
// capability, swarm_id and label ("key=value"), all optional.
func (s *Server) listAgents(c *gin.Context) {
	p, err := readPage(c, "agents")
	if err != nil {
		s.fail(c, err)
		return
	}
	status, capability, swarmID := c.Query("status"), c.Query("capability"), c.Query("swarm_id")
	labelKey, labelValue, byLabel := strings.Cut(c.Query("label"), "=")
	if c.Query("label") != "" && !byLabel {
		s.fail(c, malformed("label", `must be "key=value"`))
		return
	}
	items, next := s.agents.Page(p.from, p.limit, func(a *projections.Agent) bool {
		return (status == "" || a.Status == status) && (swarmID == "" || a.SwarmID == swarmID) &&
			(capability == "" || slices.Contains(a.Capabilities, capability)) &&
			(!byLabel || a.Labels[labelKey] == labelValue)
	})
	writePage(c, "agents", items, next)
}

func (s *Server) getAgent(c *gin.Context) {
	a, ok := s.agents.Get(c.Param("id"))
	if !ok {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no agent with id " + strconv.Quote(c.Param("id"))})
		return
	}
	c.JSON(http.StatusOK, a)
}

// Request headers a client may set to tie commands together.
const (
	correlationHeader    = "Hive-Correlation-Id"
	maxCorrelationLength = 128
)

// anonymous is the principal of requests that no authentication ran for.
const anonymous = "anonymous"

// newCommand wraps body with a fresh command id, the request's correlation
// id (or the command id) and the principal.
func newCommand(c *gin.Context, body actors.Body) (actors.Command, error) {
	id, err := events.NewEventID()
	if err != nil {
		return actors.Command{}, err
	}
	corr := c.GetHeader(correlationHeader)
	if len(corr) > maxCorrelationLength || strings.IndexFunc(corr, func(r rune) bool { return r < '!' || r > '~' }) >= 0 {
		return actors.Command{}, malformed(correlationHeader, fmt.Sprintf("must be at most %d printable ASCII characters", maxCorrelationLength))
	}
	return actors.Command{
		ID:            id.String(),
		CorrelationID: corr,
		Principal:     principalOf(c).ID,
		Body:          body,
	}, nil
}
