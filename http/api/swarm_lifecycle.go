package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"hive/actors/decision"
	"hive/actors/swarm"
	"hive/actors/workflow"
	"hive/projections"
)

// updateSwarmRequest is the body of PATCH /v1/swarms/{id}: the settings to
// change; an absent one keeps its value.
type updateSwarmRequest struct {
	Topology *string        `json:"topology"`
	Leader   *string        `json:"leader"`
	Weights  *swarm.Weights `json:"weights"`
	MinSize  *int           `json:"min_size"`
	MaxSize  *int           `json:"max_size"`
	// Reason is why, recorded with the change.
	Reason string `json:"reason"`
}

// updateSwarm changes a swarm's settings and answers the swarm.
func (s *Server) updateSwarm(c *gin.Context) {
	var req updateSwarmRequest
	if err := decodeJSON(c, s.cfg.MaxBodyBytes, &req); err != nil {
		s.fail(c, err)
		return
	}
	if _, ok := s.inspect(c, swarmRef(c.Param("id")), "swarm"); !ok {
		return
	}
	cmd := swarm.UpdateSettings{Leader: req.Leader, Weights: req.Weights, MinSize: req.MinSize, MaxSize: req.MaxSize, Reason: req.Reason,
		At: time.Now().UTC()}
	if req.Topology != nil {
		t := swarm.Topology(*req.Topology)
		cmd.Topology = &t
	}
	s.send(c, swarmRef(c.Param("id")), cmd, http.StatusOK)
}

// maxRunsNamed bounds the runs a refused dissolution names.
const maxRunsNamed = 10

// dissolveSwarm dissolves a swarm (?reason=, ?force=). Its unfinished
// runs (running or paused, from the directory) and tasks refuse it with
// 409 unless force is true; then each run is cancelled first, with the
// dissolution as its reason, and the swarm cancels the tasks left.
func (s *Server) dissolveSwarm(c *gin.Context) {
	force, err := strconv.ParseBool(c.DefaultQuery("force", "false"))
	if err != nil {
		s.fail(c, malformed("force", "must be true or false"))
		return
	}
	id, reason := c.Param("id"), c.Query("reason")
	// Checked before the runs are cancelled: a dissolution refused for its
	// own input must change nothing.
	cmd := swarm.Dissolve{Reason: reason, Force: force, At: time.Now().UTC()}
	if err := cmd.Validate(); err != nil {
		s.fail(c, err)
		return
	}
	before, ok := s.inspect(c, swarmRef(id), "swarm")
	if !ok {
		return
	}
	if before.State.(swarm.View).Status != swarm.StatusDissolved {
		runs := s.unfinishedRuns(id)
		if len(runs) > 0 && !force {
			writeProblem(c, Problem{Type: problemConflict, Status: http.StatusConflict, Detail: fmt.Sprintf(
				"swarm %s has %d unfinished workflow runs (%s); dissolve it with force=true to cancel them", id, len(runs), named(runs))})
			return
		}
		if !s.cancelRuns(c, id, reason, runs) {
			return
		}
	}
	cmd.At = time.Now().UTC() // after the runs' cancellations
	s.send(c, swarmRef(id), cmd, http.StatusOK)
}

// unfinishedRuns lists the runs of the swarm that are running or paused.
func (s *Server) unfinishedRuns(swarmID string) []string {
	var runs []string
	for from := 0; ; {
		page, next := s.directory.Page(workflow.Kind, from, 1000, func(e *projections.Entry) bool {
			return e.SwarmID == swarmID && (e.Status == "running" || e.Status == "paused")
		})
		for _, e := range page {
			runs = append(runs, e.ID)
		}
		if next == 0 {
			return runs
		}
		from = next
	}
}

// cancelRuns cancels the runs with the dissolution as their reason, and
// waits until their swarm has cancelled their tasks. A run that completed
// meanwhile is left as it is.
func (s *Server) cancelRuns(c *gin.Context, swarmID, reason string, runs []string) bool {
	why := "swarm " + swarmID + " dissolved"
	if reason != "" {
		why += ": " + reason
	}
	var last uint64
	for _, run := range runs {
		cmd, err := newCommand(c, workflow.Cancel{By: principalOf(c).ID, Reason: truncateText(why, decision.MaxReasonLength), At: time.Now().UTC()})
		if err != nil {
			s.fail(c, err)
			return false
		}
		cmd.SkipState = true
		res, err := s.commands.Ask(c.Request.Context(), runRef(run), cmd)
		switch {
		case errors.Is(err, decision.ErrConflict):
			continue
		case err != nil:
			s.fail(c, err)
			return false
		}
		last = max(last, res.LastPosition)
	}
	if last > 0 {
		s.awaitReactions(c, last)
	}
	return true
}

// named lists up to maxRunsNamed ids.
func named(ids []string) string {
	if len(ids) > maxRunsNamed {
		return strings.Join(ids[:maxRunsNamed], ", ") + fmt.Sprintf(" and %d more", len(ids)-maxRunsNamed)
	}
	return strings.Join(ids, ", ")
}

// truncateText keeps at most n runes of s.
func truncateText(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n])
	}
	return s
}
