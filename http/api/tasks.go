package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/projections"
)

// taskSwarm routes a task id to its swarm, answering 404 for an id that no
// swarm could have given.
func taskSwarm(c *gin.Context) (string, bool) {
	swarmID, _, err := swarm.ParseTaskID(c.Param("id"))
	if err != nil {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no task with id " + c.Param("id") + ": " + err.Error()})
		return "", false
	}
	return swarmID, true
}

// completeTaskRequest is the body of POST /v1/tasks/{id}/complete.
type completeTaskRequest struct {
	AgentID  string          `json:"agent_id"`
	Output   json.RawMessage `json:"output"`
	Usage    ledger.Usage    `json:"usage"`
	AddSteps json.RawMessage `json:"add_steps"`
}

func (s *Server) completeTask(c *gin.Context) {
	swarmID, ok := taskSwarm(c)
	if !ok {
		return
	}
	var req completeTaskRequest
	if err := checkOutput(decodeJSON(c, s.cfg.MaxBodyBytes, &req), req.Output); err != nil {
		s.fail(c, err)
		return
	}
	s.beatQuietly(c, req.AgentID)
	s.reportResult(c, swarmID, req.AgentID, "completed", swarm.CompleteTask{TaskID: c.Param("id"), AgentID: req.AgentID, Output: req.Output,
		Usage: req.Usage, AddSteps: req.AddSteps, At: time.Now().UTC()})
}

// taskResult is the answer to a task's result: what was reported, and the
// position of the swarm's decision, for min_position reads.
type taskResult struct {
	TaskID   string `json:"task_id"`
	SwarmID  string `json:"swarm_id"`
	AgentID  string `json:"agent_id"`
	Reported string `json:"reported"`
}

// reportResult sends an agent's result to the task's swarm and answers
// with a taskResult: not the swarm's whole state, which the agent does not
// need and which is large for a busy swarm.
func (s *Server) reportResult(c *gin.Context, swarmID, agentID, reported string, body actors.Body) {
	res, ok := s.sendNoState(c, swarmRef(swarmID), body)
	if !ok {
		return
	}
	s.awaitReadModels(c, res.LastPosition)
	writeResult(c, http.StatusOK, taskResult{TaskID: c.Param("id"), SwarmID: swarmID, AgentID: agentID, Reported: reported}, res.LastPosition)
}

// failTaskRequest is the body of POST /v1/tasks/{id}/fail.
type failTaskRequest struct {
	AgentID   string `json:"agent_id"`
	Reason    string `json:"reason"`
	Retryable *bool  `json:"retryable"`
}

func (s *Server) failTask(c *gin.Context) {
	swarmID, ok := taskSwarm(c)
	if !ok {
		return
	}
	var req failTaskRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	s.beatQuietly(c, req.AgentID)
	retryable := req.Retryable == nil || *req.Retryable
	s.reportResult(c, swarmID, req.AgentID, "failed", swarm.FailTask{TaskID: c.Param("id"), AgentID: req.AgentID, Reason: req.Reason,
		Retryable: retryable, At: time.Now().UTC()})
}

// findTask returns the task id from a swarm's view, and whether it is
// there: a swarm's view lists only its unfinished tasks.
func findTask(v swarm.View, id string) (swarm.Task, bool) {
	for _, t := range v.Tasks {
		if t.ID == id {
			return t, true
		}
	}
	return swarm.Task{}, false
}

// getTask answers a task, finished or not, folded from its events; with
// ?wait=D, once it has ended or D passes (see awaitEnd).
func (s *Server) getTask(c *gin.Context) {
	if _, ok := taskSwarm(c); !ok {
		return
	}
	wait, err := resultWait(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	if s.tasks == nil {
		writeProblem(c, Problem{Type: problemUnavailable, Status: http.StatusServiceUnavailable, Detail: "this server keeps no task index"})
		return
	}
	id := c.Param("id")
	s.awaitEnd(c, wait, func() (<-chan struct{}, func()) { return s.tasks.Watch(id) }, func() (any, bool, bool) {
		positions, ok := s.tasks.Positions(id)
		if !ok {
			writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no task with id " + strconv.Quote(id)})
			return nil, false, false
		}
		t, err := projections.ReadTask(c.Request.Context(), s.log, positions)
		if err != nil {
			s.fail(c, err)
			return nil, false, false
		}
		return t, t.Ended(), true
	})
}

// agentTasks lists the tasks in flight of an agent, as its swarm sees them:
// what a worker polls for its assignments.
func (s *Server) agentTasks(c *gin.Context) {
	res, ok := s.inspect(c, actors.Ref{Kind: agent.Kind, ID: c.Param("id")}, "agent")
	if !ok {
		return
	}
	tasks := []swarm.Task{}
	views := map[string]swarm.View{}
	for id, inFlight := range res.State.(agent.State).Tasks {
		v, seen := views[inFlight.SwarmID]
		if !seen {
			sw, ok := s.inspect(c, swarmRef(inFlight.SwarmID), "swarm")
			if !ok {
				return
			}
			v = sw.State.(swarm.View)
			views[inFlight.SwarmID] = v
		}
		if t, ok := findTask(v, id); ok {
			tasks = append(tasks, t)
		}
	}
	slices.SortFunc(tasks, func(a, b swarm.Task) int { return strings.Compare(a.ID, b.ID) })
	c.JSON(http.StatusOK, gin.H{"tasks": tasks})
}
