package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"hive/actors"
	"hive/actors/decision"
	"hive/actors/definition"
	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/actors/workflow"
	"hive/events"
	"hive/projections"
)

func runRef(id string) actors.Ref { return actors.Ref{Kind: workflow.Kind, ID: id} }

// startWorkflowRequest is the body of POST /v1/workflows: a run of the DAG
// of steps on the swarm's agents.
type startWorkflowRequest struct {
	Name    string          `json:"name"`
	SwarmID string          `json:"swarm_id"`
	Steps   []workflow.Step `json:"steps"`
	// Definition names a saved definition to take the steps from (its
	// DefinitionVersion, or the newest), instead of Steps.
	Definition        string        `json:"definition"`
	DefinitionVersion int           `json:"definition_version"`
	Budget            ledger.Budget `json:"budget"`
}

func (s *Server) startWorkflow(c *gin.Context) {
	var req startWorkflowRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	if req.Definition != "" && !s.definitionSteps(c, &req) {
		return
	}
	if req.SwarmID != "" {
		sw, ok := s.inspect(c, swarmRef(req.SwarmID), "swarm")
		if !ok {
			return
		}
		if v := sw.State.(swarm.View); v.Status == swarm.StatusDissolved {
			s.fail(c, fmt.Errorf("%w: %s was dissolved at %s", swarm.ErrDissolved, v.ID, v.DissolvedAt.Format(time.RFC3339)))
			return
		}
	}
	id, err := events.NewEventID()
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Header("Location", "/v1/workflows/"+id.String())
	s.send(c, runRef(id.String()), workflow.Start{RunID: id.String(), Name: req.Name, SwarmID: req.SwarmID, Steps: req.Steps,
		Budget: req.Budget, At: time.Now().UTC()}, http.StatusCreated)
}

// listWorkflows lists runs, a page at a time, filtered by status and
// swarm_id, both optional.
func (s *Server) listWorkflows(c *gin.Context) {
	status, swarmID := c.Query("status"), c.Query("swarm_id")
	s.listDirectory(c, workflow.Kind, "workflows", func(e *projections.Entry) bool {
		return (status == "" || e.Status == status) && (swarmID == "" || e.SwarmID == swarmID)
	})
}

// listDirectory answers a page of the directory's entries of kind that
// match, as the list named list.
func (s *Server) listDirectory(c *gin.Context, kind, list string, match func(*projections.Entry) bool) {
	p, err := readPage(c, list)
	if err != nil {
		s.fail(c, err)
		return
	}
	items, next := s.directory.Page(kind, p.from, p.limit, match)
	writePage(c, list, items, next)
}

func all(*projections.Entry) bool { return true }

// getWorkflow answers a run as its entity knows it; with ?wait=D, once it
// has ended or D passes (see awaitEnd), woken by the directory when the
// run's status changes.
func (s *Server) getWorkflow(c *gin.Context) {
	wait, err := resultWait(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	var watch watchFunc
	if s.directory != nil {
		watch = func() (<-chan struct{}, func()) { return s.directory.WatchRun(c.Param("id")) }
	}
	s.awaitEnd(c, wait, watch, func() (any, bool, bool) {
		res, ok := s.inspect(c, runRef(c.Param("id")), "workflow run")
		if !ok {
			return nil, false, false
		}
		return res.State, res.State.(workflow.RunView).Status.Ended(), true
	})
}

// operatorRequest is the optional body of the operator's commands on a run:
// who acts and why.
type operatorRequest struct {
	By      string `json:"by"`
	Reason  string `json:"reason"`
	Comment string `json:"comment"`
}

// operator decodes an optional operatorRequest body.
func (s *Server) operator(c *gin.Context) (operatorRequest, bool) {
	var req operatorRequest
	if c.Request.ContentLength == 0 {
		return req, true
	}
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return req, false
	}
	return req, true
}

// runCommand serves an operator's command on a run, built by body.
func (s *Server) runCommand(body func(req operatorRequest, c *gin.Context, at time.Time) actors.Body) gin.HandlerFunc {
	return func(c *gin.Context) {
		req, ok := s.operator(c)
		if !ok {
			return
		}
		s.send(c, runRef(c.Param("id")), body(req, c, time.Now().UTC()), http.StatusOK)
	}
}

func (s *Server) workflowRoutes(v1 *gin.RouterGroup) {
	v1.POST("/workflow-definitions", s.saveDefinition)
	v1.GET("/workflow-definitions", s.listDefinitions)
	v1.GET("/workflow-definitions/:id", s.getDefinition)
	v1.POST("/workflows", s.startWorkflow)
	v1.GET("/workflows", s.listWorkflows)
	v1.GET("/workflows/:id", s.getWorkflow)
	v1.POST("/workflows/:id/pause", s.runCommand(func(r operatorRequest, _ *gin.Context, at time.Time) actors.Body {
		return workflow.Pause{By: r.By, Reason: r.Reason, At: at}
	}))
	v1.POST("/workflows/:id/resume", s.runCommand(func(r operatorRequest, _ *gin.Context, at time.Time) actors.Body {
		return workflow.Resume{By: r.By, At: at}
	}))
	v1.POST("/workflows/:id/cancel", s.runCommand(func(r operatorRequest, _ *gin.Context, at time.Time) actors.Body {
		return workflow.Cancel{By: r.By, Reason: r.Reason, At: at}
	}))
	v1.POST("/workflows/:id/steps/:step/approve", s.runCommand(func(r operatorRequest, c *gin.Context, at time.Time) actors.Body {
		return workflow.Approve{StepID: c.Param("step"), By: r.By, Comment: r.Comment, At: at}
	}))
	v1.POST("/workflows/:id/steps/:step/reject", s.runCommand(func(r operatorRequest, c *gin.Context, at time.Time) actors.Body {
		return workflow.Reject{StepID: c.Param("step"), By: r.By, Comment: r.Comment, At: at}
	}))
	v1.POST("/workflows/:id/steps/:step/retry", s.runCommand(func(r operatorRequest, c *gin.Context, at time.Time) actors.Body {
		return workflow.RetryStep{StepID: c.Param("step"), By: r.By, At: at}
	}))
	v1.POST("/workflows/:id/budget", s.raiseRunBudget)
}

func (s *Server) raiseRunBudget(c *gin.Context) {
	var req ledger.Budget
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	s.send(c, runRef(c.Param("id")), workflow.RaiseBudget{Budget: req, At: time.Now().UTC()}, http.StatusOK)
}

// definitionSteps fills req's steps from the definition it names, answering
// the problem and reporting false if that cannot be done.
func (s *Server) definitionSteps(c *gin.Context, req *startWorkflowRequest) bool {
	if len(req.Steps) > 0 {
		s.fail(c, (decision.Fields{{Field: "steps", Reason: "give either steps or a definition, not both"}}).Err())
		return false
	}
	res, ok := s.inspect(c, definitionRef(definition.IDFor(req.Definition)), "workflow definition")
	if !ok {
		return false
	}
	st := res.State.(definition.State)
	v, err := st.Latest(req.DefinitionVersion)
	if err != nil {
		s.fail(c, err)
		return false
	}
	req.Steps = v.Steps
	if req.Name == "" {
		req.Name = fmt.Sprintf("%s v%d", st.Name, v.Version)
	}
	return true
}

func definitionRef(id string) actors.Ref { return actors.Ref{Kind: definition.Kind, ID: id} }

// saveDefinitionRequest is the body of POST /v1/workflow-definitions.
type saveDefinitionRequest struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Steps       []workflow.Step `json:"steps"`
}

func (s *Server) saveDefinition(c *gin.Context) {
	var req saveDefinitionRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	id := definition.IDFor(req.Name)
	c.Header("Location", "/v1/workflow-definitions/"+id)
	s.send(c, definitionRef(id), definition.Save{Name: req.Name, Description: req.Description, Steps: req.Steps, At: time.Now().UTC()}, http.StatusOK)
}

func (s *Server) listDefinitions(c *gin.Context) {
	s.listDirectory(c, definition.Kind, "definitions", all)
}

func (s *Server) getDefinition(c *gin.Context) {
	if res, ok := s.inspect(c, definitionRef(c.Param("id")), "workflow definition"); ok {
		c.JSON(http.StatusOK, res.State)
	}
}
