package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/decision"
)

// progressRequest is the body of POST /v1/tasks/{id}/progress.
type progressRequest struct {
	AgentID string  `json:"agent_id"`
	Message string  `json:"message"`
	Percent float64 `json:"percent"`
}

// taskProgress records what the assigned agent says about a task, as an
// event of the agent (AgentTaskProgress): a note for the timeline, and a
// heartbeat.
func (s *Server) taskProgress(c *gin.Context) {
	if _, ok := taskSwarm(c); !ok {
		return
	}
	var req progressRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	body := agent.ReportProgress{TaskID: c.Param("id"), Message: req.Message, Percent: req.Percent}
	if err := body.Validate(); err != nil {
		s.fail(c, err)
		return
	}
	if _, err := uuid.Parse(req.AgentID); err != nil {
		var f decision.Fields
		f.Add("agent_id", "must be the id of the agent the task is assigned to")
		s.fail(c, f.Err())
		return
	}
	if !s.beat(c, req.AgentID) {
		return
	}
	if _, ok := s.sendNoState(c, actors.Ref{Kind: agent.Kind, ID: req.AgentID}, body); !ok {
		return
	}
	c.JSON(http.StatusOK, gin.H{"task_id": body.TaskID, "agent_id": req.AgentID, "message": body.Message, "percent": body.Percent})
}

// outputTooLarge is the answer to a result whose output is over the
// swarm's limit: the output travels in an event, and events stay small.
func outputTooLarge(size int) error {
	reason := fmt.Sprintf("is %s; at most %d bytes are accepted. Store large artifacts elsewhere "+
		"(an object store, a repository) and put their URL and SHA-256 hash in the output", sizeOf(size), decision.MaxJSONBytes)
	return &badRequestError{status: http.StatusRequestEntityTooLarge, typ: problemTooLarge, detail: "output " + reason,
		fields: []decision.FieldError{{Field: "output", Reason: reason}}}
}

func sizeOf(n int) string {
	if n < 0 {
		return "larger than the request limit"
	}
	return fmt.Sprintf("%d bytes", n)
}

// checkOutput refuses an output over the swarm's limit, and turns a body
// over the request limit into the same answer: a result's size is its
// output's.
func checkOutput(decodeErr error, output []byte) error {
	var bad *badRequestError
	switch {
	case errors.As(decodeErr, &bad) && bad.status == http.StatusRequestEntityTooLarge:
		return outputTooLarge(-1)
	case decodeErr != nil:
		return decodeErr
	case len(output) > decision.MaxJSONBytes:
		return outputTooLarge(len(output))
	}
	return nil
}
