package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/decision"
	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// createSwarmRequest is the body of POST /v1/swarms.
type createSwarmRequest struct {
	Name     string        `json:"name"`
	Topology string        `json:"topology"`
	Leader   string        `json:"leader"`
	Weights  swarm.Weights `json:"weights"`
	MinSize  int           `json:"min_size"`
	MaxSize  int           `json:"max_size"`
	Budget   ledger.Budget `json:"budget"`
}

func swarmRef(id string) actors.Ref { return actors.Ref{Kind: swarm.Kind, ID: id} }

func (s *Server) createSwarm(c *gin.Context) {
	var req createSwarmRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	id := swarm.IDFor(req.Name)
	c.Header("Location", "/v1/swarms/"+id)
	s.send(c, swarmRef(id), swarm.Create{Name: req.Name, Topology: swarm.Topology(req.Topology), Leader: req.Leader, Weights: req.Weights,
		MinSize: req.MinSize, MaxSize: req.MaxSize, Budget: req.Budget, At: time.Now().UTC()}, http.StatusCreated)
}

func (s *Server) listSwarms(c *gin.Context) {
	s.listDirectory(c, swarm.Kind, "swarms", all)
}

func (s *Server) getSwarm(c *gin.Context) {
	if res, ok := s.inspect(c, swarmRef(c.Param("id")), "swarm"); ok {
		c.JSON(http.StatusOK, res.State)
	}
}

// joinSwarmRequest is the body of POST /v1/swarms/{id}/members.
type joinSwarmRequest struct {
	AgentID string `json:"agent_id"`
}

// joinSwarm makes an agent a member: the agent decides (it may be in one
// swarm only), and the swarm's reaction adds it (or refuses, e.g. when
// full, and the agent leaves again). The response is the swarm after the
// reaction.
func (s *Server) joinSwarm(c *gin.Context) {
	var req joinSwarmRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.AgentID == "" {
		s.fail(c, (decision.Fields{{Field: "agent_id", Reason: "is required"}}).Err())
		return
	}
	before, ok := s.inspect(c, swarmRef(c.Param("id")), "swarm")
	if !ok {
		return
	}
	if v := before.State.(swarm.View); v.MaxSize > 0 && len(v.Members) >= v.MaxSize && !isMember(v, req.AgentID) {
		writeProblem(c, Problem{Type: problemConflict, Status: http.StatusConflict,
			Detail: fmt.Sprintf("swarm %s is full: %d members, its maximum", v.ID, v.MaxSize)})
		return
	}
	res, ok := s.sendNoState(c, actors.Ref{Kind: agent.Kind, ID: req.AgentID}, agent.JoinSwarm{SwarmID: c.Param("id")})
	if !ok {
		return
	}
	s.awaitReactions(c, res.LastPosition)
	after, ok := s.inspect(c, swarmRef(c.Param("id")), "swarm")
	if !ok {
		return
	}
	if !isMember(after.State.(swarm.View), req.AgentID) {
		writeProblem(c, Problem{Type: problemConflict, Status: http.StatusConflict,
			Detail: "the swarm refused the agent (it filled up meanwhile, or is not taking members); the agent's events say why"})
		return
	}
	c.JSON(http.StatusOK, after.State)
}

func isMember(v swarm.View, agentID string) bool {
	return slices.ContainsFunc(v.Members, func(m swarm.Member) bool { return m.AgentID == agentID })
}

func (s *Server) leaveSwarm(c *gin.Context) {
	res, ok := s.sendNoState(c, actors.Ref{Kind: agent.Kind, ID: c.Param("agent")}, agent.LeaveSwarm{SwarmID: c.Param("id"), Reason: c.Query("reason")})
	if !ok {
		return
	}
	s.awaitReactions(c, res.LastPosition)
	if sw, ok := s.inspect(c, swarmRef(c.Param("id")), "swarm"); ok {
		c.JSON(http.StatusOK, sw.State)
	}
}

// submitTaskRequest is the body of POST /v1/swarms/{id}/tasks.
type submitTaskRequest struct {
	Capability  string          `json:"capability"`
	Input       json.RawMessage `json:"input"`
	Priority    int             `json:"priority"`
	MaxAttempts int             `json:"max_attempts"`
	Backoff     string          `json:"backoff"`
	Timeout     string          `json:"timeout"`
}

func (s *Server) submitTask(c *gin.Context) {
	var req submitTaskRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	var f decision.Fields
	backoff := parseDuration(&f, "backoff", req.Backoff)
	timeout := parseDuration(&f, "timeout", req.Timeout)
	if err := f.Err(); err != nil {
		s.fail(c, err)
		return
	}
	res, ok := s.sendNoState(c, swarmRef(c.Param("id")), swarm.SubmitTask{Capability: req.Capability, Input: req.Input, Priority: req.Priority,
		MaxAttempts: req.MaxAttempts, Backoff: backoff, Timeout: timeout, At: time.Now().UTC()})
	if !ok {
		return
	}
	s.awaitReadModels(c, res.LastPosition)
	writeResult(c, http.StatusAccepted, submittedTask(c.Param("id"), res.Decided), res.LastPosition)
}

// submitted is the answer to a task's submission: its id, and its agent if
// the swarm assigned it at once; not the swarm's whole state, which for a
// busy swarm is large.
type submitted struct {
	TaskID  string `json:"task_id"`
	SwarmID string `json:"swarm_id"`
	// Status is "queued" or "assigned".
	Status  string `json:"status"`
	AgentID string `json:"agent_id,omitempty"`
}

// submittedTask reads the task's id and assignment from the events its
// submission decided.
func submittedTask(swarmID string, decided []proto.Message) submitted {
	out := submitted{SwarmID: swarmID, Status: "queued"}
	for _, m := range decided {
		switch m := m.(type) {
		case *hivev1.TaskQueued:
			out.TaskID = m.GetTaskId()
		case *hivev1.TaskAssigned:
			if m.GetTaskId() == out.TaskID {
				out.Status, out.AgentID = "assigned", m.GetAgentId()
			}
		}
	}
	return out
}

func (s *Server) raiseSwarmBudget(c *gin.Context) {
	var req ledger.Budget
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	s.send(c, swarmRef(c.Param("id")), swarm.RaiseBudget{Budget: req, At: time.Now().UTC()}, http.StatusOK)
}

// proposeRequest is the body of POST /v1/swarms/{id}/proposals.
type proposeRequest struct {
	Question string   `json:"question"`
	Options  []string `json:"options"`
	Rule     string   `json:"rule"`
	Quorum   float64  `json:"quorum"`
	// VotingPeriod is how long members may vote, e.g. "5m".
	VotingPeriod string `json:"voting_period"`
	ProposedBy   string `json:"proposed_by"`
}

func (s *Server) propose(c *gin.Context) {
	var req proposeRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	var f decision.Fields
	period := parseDuration(&f, "voting_period", req.VotingPeriod)
	if period == 0 {
		f.Add("voting_period", "is required, e.g. \"5m\"")
	}
	if err := f.Err(); err != nil {
		s.fail(c, err)
		return
	}
	id, err := events.NewEventID()
	if err != nil {
		s.fail(c, err)
		return
	}
	now := time.Now().UTC()
	c.Header("Hive-Proposal-Id", id.String())
	s.send(c, swarmRef(c.Param("id")), swarm.Propose{ProposalID: id.String(), Question: req.Question, Options: req.Options, Rule: swarm.Rule(req.Rule),
		Quorum: req.Quorum, Deadline: now.Add(period), ProposedBy: req.ProposedBy, At: now}, http.StatusCreated)
}

// voteRequest is the body of POST /v1/swarms/{id}/proposals/{proposal}/votes.
type voteRequest struct {
	AgentID string `json:"agent_id"`
	Option  string `json:"option"`
}

func (s *Server) vote(c *gin.Context) {
	var req voteRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	s.send(c, swarmRef(c.Param("id")), swarm.Vote{ProposalID: c.Param("proposal"), AgentID: req.AgentID, Option: req.Option, At: time.Now().UTC()}, http.StatusOK)
}
