package api

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/gin-gonic/gin"

	"hive/projections"
)

// The read models behind the dashboards' views (GET /v1/views/...).
type (
	// SwarmsView is the swarms read model.
	SwarmsView interface {
		Get(id string) (projections.SwarmRow, bool)
		Page(from, limit int) ([]projections.SwarmRow, int)
		Count() int
		// Totals returns what every swarm's tasks consumed, and how many
		// swarms stopped for their budget.
		Totals() (usage projections.UsageTotals, exhausted int)
		Checkpoint() uint64
	}
	// RunsView is the workflow runs read model.
	RunsView interface {
		Get(id string) (projections.RunDetail, bool)
		Page(from, limit int, match func(*projections.RunRow) bool) ([]projections.RunRow, int)
		Counts() (total int, byStatus map[string]int)
		Checkpoint() uint64
	}
	// QueueView is the task queue read model.
	QueueView interface {
		View() projections.QueueView
		Checkpoint() uint64
	}
	// ThroughputView is the throughput read model.
	ThroughputView interface {
		View() projections.ThroughputView
	}
	// FeedView is the coordination feed.
	FeedView interface {
		Items(limit int) []projections.FeedItem
	}
	// PrincipalsView is the per-principal activity read model.
	PrincipalsView interface {
		All() []projections.PrincipalActivity
	}
)

// Views are the read models the views serve; every one is required for
// them (without one the views answer 503).
type Views struct {
	Swarms     SwarmsView
	Runs       RunsView
	Queue      QueueView
	Throughput ThroughputView
	Feed       FeedView
	Principals PrincipalsView
}

func (v Views) complete() bool {
	return v.Swarms != nil && v.Runs != nil && v.Queue != nil && v.Throughput != nil && v.Feed != nil && v.Principals != nil
}

// The bodies of the views that have no read-model type of their own.
type (
	// overview is the answer of GET /v1/views/overview.
	overview struct {
		// Position is the lowest position the read models it counts
		// reflect.
		Position   uint64                     `json:"position"`
		Agents     statusCounts               `json:"agents"`
		Swarms     int                        `json:"swarms"`
		Runs       statusCounts               `json:"runs"`
		Queue      projections.TaskCounts     `json:"queue"`
		Throughput projections.ThroughputView `json:"throughput"`
		Lag        []projections.Lag          `json:"lag"`
		// Usage is what every completed task consumed.
		Usage   projections.UsageTotals `json:"usage"`
		Budgets budgetCounts            `json:"budgets"`
	}
	// budgetCounts count the swarms and runs stopped for their budget.
	budgetCounts struct {
		SwarmsExhausted int `json:"swarms_exhausted"`
		RunsExhausted   int `json:"runs_exhausted"`
	}
	statusCounts struct {
		Total    int            `json:"total"`
		ByStatus map[string]int `json:"by_status"`
	}
	swarmRowPage struct {
		Items      []projections.SwarmRow `json:"items"`
		NextCursor string                 `json:"next_cursor,omitempty"`
	}
	runRowPage struct {
		Items      []projections.RunRow `json:"items"`
		NextCursor string               `json:"next_cursor,omitempty"`
	}
	feedPage struct {
		Items []projections.FeedItem `json:"items"`
	}
	principalList struct {
		Items []projections.PrincipalActivity `json:"items"`
	}
)

// runStatuses are the statuses GET /v1/views/runs filters by.
var runStatuses = []string{"running", "paused", "budget_exhausted", "completed", "failed", "cancelled"}

func (s *Server) viewRoutes(v1 *gin.RouterGroup) {
	g := v1.Group("/views", s.viewsServed)
	g.GET("/overview", s.overview)
	g.GET("/swarms", s.swarmRows)
	g.GET("/swarms/:id", s.swarmRow)
	g.GET("/runs", s.runRows)
	g.GET("/runs/:id", s.runDetail)
	g.GET("/queue", func(c *gin.Context) { c.JSON(http.StatusOK, s.views.Queue.View()) })
	g.GET("/throughput", func(c *gin.Context) { c.JSON(http.StatusOK, s.views.Throughput.View()) })
	g.GET("/feed", s.feed)
	g.GET("/principals", func(c *gin.Context) { c.JSON(http.StatusOK, principalList{Items: s.views.Principals.All()}) })
}

// viewsServed answers 503 when the server was built without the views'
// read models.
func (s *Server) viewsServed(c *gin.Context) {
	if !s.views.complete() || s.agents == nil {
		writeProblem(c, Problem{Type: problemUnavailable, Status: http.StatusServiceUnavailable, Detail: "this server serves no views"})
		c.Abort()
	}
}

func (s *Server) overview(c *gin.Context) {
	total, byStatus, position := s.agents.Counts()
	runs, runsByStatus := s.views.Runs.Counts()
	lag := s.read.Lag()
	if lag == nil {
		lag = []projections.Lag{}
	}
	usage, exhausted := s.views.Swarms.Totals()
	c.JSON(http.StatusOK, overview{
		Position: min(position, s.views.Swarms.Checkpoint(), s.views.Runs.Checkpoint(), s.views.Queue.Checkpoint()),
		Agents:   statusCounts{Total: total, ByStatus: byStatus}, Swarms: s.views.Swarms.Count(),
		Runs: statusCounts{Total: runs, ByStatus: runsByStatus}, Queue: s.views.Queue.View().Totals,
		Throughput: s.views.Throughput.View(), Lag: lag,
		Usage: usage, Budgets: budgetCounts{SwarmsExhausted: exhausted, RunsExhausted: runsByStatus["budget_exhausted"]},
	})
}

func (s *Server) swarmRows(c *gin.Context) {
	p, err := readPage(c, "swarms")
	if err != nil {
		s.fail(c, err)
		return
	}
	items, next := s.views.Swarms.Page(p.from, p.limit)
	c.JSON(http.StatusOK, swarmRowPage{Items: items, NextCursor: nextCursor("swarms", next)})
}

func (s *Server) swarmRow(c *gin.Context) {
	row, ok := s.views.Swarms.Get(c.Param("id"))
	if !ok {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no swarm with id " + strconv.Quote(c.Param("id"))})
		return
	}
	c.JSON(http.StatusOK, row)
}

// runRows lists runs, a page at a time, filtered by status and swarm.
func (s *Server) runRows(c *gin.Context) {
	p, err := readPage(c, "runs")
	if err != nil {
		s.fail(c, err)
		return
	}
	status, swarmID := c.Query("status"), c.Query("swarm")
	if status != "" && !slices.Contains(runStatuses, status) {
		s.fail(c, malformed("status", fmt.Sprintf("must be one of %v", runStatuses)))
		return
	}
	items, next := s.views.Runs.Page(p.from, p.limit, func(r *projections.RunRow) bool {
		return (status == "" || r.Status == status) && (swarmID == "" || r.SwarmID == swarmID)
	})
	c.JSON(http.StatusOK, runRowPage{Items: items, NextCursor: nextCursor("runs", next)})
}

func (s *Server) runDetail(c *gin.Context) {
	run, ok := s.views.Runs.Get(c.Param("id"))
	if !ok {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no workflow run with id " + strconv.Quote(c.Param("id"))})
		return
	}
	c.JSON(http.StatusOK, run)
}

// feed answers the newest decisions, ?limit= of them (default 100).
func (s *Server) feed(c *gin.Context) {
	p, err := readPage(c, "feed")
	if err != nil {
		s.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, feedPage{Items: s.views.Feed.Items(p.limit)})
}

// nextCursor is the cursor of the page after one that ended before next,
// "" when there is none.
func nextCursor(list string, next int) string {
	if next == 0 {
		return ""
	}
	return encodeCursor(list, next)
}
