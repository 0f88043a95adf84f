package api

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/decision"
	"hive/actors/token"
	"hive/projections"
)

// AssignmentsView is the read model of the agents' tasks in flight.
type AssignmentsView interface {
	// Since returns the agent's assignments in flight and its revocations
	// after the position after.
	Since(agentID string, after uint64) projections.Work
	// Watch returns a channel closed at the agent's next change, and a
	// function that forgets the watch.
	Watch(agentID string) (<-chan struct{}, func())
}

// MaxAssignmentsWait bounds the wait of GET /v1/agents/{id}/assignments.
const MaxAssignmentsWait = 60 * time.Second

// streamKeepAlive is the most time between two writes on an assignment
// stream, so that proxies keep it open and a dead client is noticed.
const streamKeepAlive = 15 * time.Second

// writeSlack is how long a response may take to write once its wait is over.
const writeSlack = 10 * time.Second

// assignments answers a worker's long poll: the agent's assignments in
// flight, at once if one of them, or a revocation, is newer than the
// cursor `after` (0, the default, for a worker that knows nothing yet), or
// else as soon as one is, waiting at most `wait`, and no longer once the
// server begins to stop. The request counts as a
// heartbeat, and so does every third of the heartbeat timeout it waits.
func (s *Server) assignments(c *gin.Context) {
	defer s.endOnRevocation(c)()
	id := c.Param("id")
	wait, after, err := assignmentsQuery(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	beats := speaksFor(c, id)
	if !s.greet(c, id, beats) {
		return
	}
	s.holdOpen(c, wait+writeSlack)
	expired := time.NewTimer(wait)
	defer expired.Stop()
	beat := time.NewTicker(s.beatInterval())
	defer beat.Stop()
	for {
		wake, stop := s.work.Watch(id)
		w := s.work.Since(id, after)
		if w.News(after) || wait == 0 {
			stop()
			if s.tokenValidAt(c, w.Cursor) {
				c.JSON(http.StatusOK, w)
			}
			return
		}
		select {
		case <-wake:
		case <-expired.C:
			wait = 0
		case <-s.stopping:
			wait = 0
		case <-beat.C:
			if beats && !s.beat(c, id) {
				stop()
				return
			}
		case <-c.Request.Context().Done():
			stop()
			return
		}
		stop()
	}
}

// speaksFor reports whether the request comes from the agent id itself (an
// agent token acting as it), or from a caller that may act as any agent
// (admin, or anyone when no authentication ran): only those requests are
// the agent's heartbeats, not an operator's or a viewer's look.
func speaksFor(c *gin.Context, id string) bool {
	p := principalOf(c)
	switch token.Role(p.Role) {
	case token.RoleAgent:
		return p.AgentID == id
	case token.RoleOperator, token.RoleViewer:
		return false
	}
	return true
}

// greet starts a request about the agent id: a heartbeat if beats, else a
// check that the agent exists. It answers the failure and reports false.
func (s *Server) greet(c *gin.Context, id string, beats bool) bool {
	if beats {
		return s.beat(c, id)
	}
	if _, ok := s.agents.Get(id); !ok {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no agent with id " + strconv.Quote(id)})
		return false
	}
	return true
}

// assignmentsQuery reads wait and after from the query.
func assignmentsQuery(c *gin.Context) (time.Duration, uint64, error) {
	var f decision.Fields
	wait := parseDuration(&f, "wait", c.Query("wait"))
	if wait > MaxAssignmentsWait {
		f.Add("wait", fmt.Sprintf("must be at most %s", MaxAssignmentsWait))
	}
	var after uint64
	if v := c.Query("after"); v != "" {
		var err error
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			f.Add("after", "must be a cursor from an earlier answer (a non-negative integer)")
		}
	}
	return wait, after, f.Err()
}

// streamEvent is one event of an assignment stream.
type streamEvent struct {
	position uint64
	name     string
	data     any
}

// assignmentStream streams the agent's assignments as server-sent events:
// an `assignment` event for each assignment newer than the Last-Event-ID
// (all in flight if none), then one per new assignment, and a `cancelled`
// event when one is taken away. Event ids are positions in the log, so a
// client that reconnects with Last-Event-ID misses nothing. A comment
// keeps the stream alive; the open stream counts as the agent's heartbeat.
// The stream ends when the server begins to stop.
func (s *Server) assignmentStream(c *gin.Context) {
	defer s.endOnRevocation(c)()
	id := c.Param("id")
	after, err := lastEventID(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	beats := speaksFor(c, id)
	if !s.greet(c, id, beats) {
		return
	}
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	s.holdOpen(c, writeSlack)
	c.Writer.WriteHeaderNow()
	c.Writer.Flush()
	beat := time.NewTicker(min(streamKeepAlive, s.beatInterval()))
	defer beat.Stop()
	for {
		wake, stop := s.work.Watch(id)
		w := s.work.Since(id, after)
		if !s.tokenValidAt(c, w.Cursor) || !s.writeNews(c, w, after) {
			stop()
			return
		}
		after = w.Cursor
		select {
		case <-wake:
		case <-beat.C:
			if (beats && !s.beat(c, id)) || !s.writeStream(c, ": keep-alive\n\n") {
				stop()
				return
			}
		case <-s.stopping:
			stop()
			return
		case <-c.Request.Context().Done():
			stop()
			return
		}
		stop()
	}
}

// writeNews writes the events of w newer than after, in log order, and
// reports whether the client is still there.
func (s *Server) writeNews(c *gin.Context, w projections.Work, after uint64) bool {
	var news []streamEvent
	for _, a := range w.Assignments {
		if a.Position > after {
			news = append(news, streamEvent{a.Position, "assignment", a})
		}
	}
	for _, r := range w.Cancelled {
		news = append(news, streamEvent{r.Position, "cancelled", r})
	}
	slices.SortFunc(news, func(x, y streamEvent) int { return cmp.Compare(x.position, y.position) })
	for _, e := range news {
		data, err := json.Marshal(e.data)
		if err != nil {
			s.logger.Error("encode stream event", "event", e.name, "err", err)
			return false
		}
		if !s.writeStream(c, fmt.Sprintf("id: %d\nevent: %s\ndata: %s\n\n", e.position, e.name, data)) {
			return false
		}
	}
	return true
}

// writeStream writes text to the stream and flushes it, reporting whether
// it could.
func (s *Server) writeStream(c *gin.Context, text string) bool {
	s.holdOpen(c, writeSlack)
	if _, err := c.Writer.WriteString(text); err != nil {
		return false
	}
	c.Writer.Flush()
	return true
}

// lastEventID reads where a stream resumes: the Last-Event-ID header, or
// the query's after.
func lastEventID(c *gin.Context) (uint64, error) {
	v := c.GetHeader("Last-Event-ID")
	field := "Last-Event-ID"
	if v == "" {
		v, field = c.Query("after"), "after"
	}
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil {
		var f decision.Fields
		f.Add(field, "must be an event id from this stream (a non-negative integer)")
		return 0, f.Err()
	}
	return n, nil
}

// holdOpen lets the request outlive the server's read and write timeouts:
// no read deadline, and a write deadline d from now.
func (s *Server) holdOpen(c *gin.Context, d time.Duration) {
	rc := http.NewResponseController(c.Writer)
	for _, err := range []error{rc.SetReadDeadline(time.Time{}), rc.SetWriteDeadline(time.Now().Add(d))} {
		if err != nil && !errors.Is(err, http.ErrNotSupported) {
			s.logger.Debug("extend a long request's deadlines", "path", c.Request.URL.Path, "err", err)
		}
	}
}

// beatInterval is how often an open poll or stream renews the agent's
// heartbeat.
func (s *Server) beatInterval() time.Duration {
	return max(s.cfg.HeartbeatTimeout/3, 10*time.Millisecond)
}

// beat sends the agent id a heartbeat on behalf of this request; when it
// is refused, it answers the failure and reports false.
func (s *Server) beat(c *gin.Context, id string) bool {
	if _, err := uuid.Parse(id); err != nil {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no agent with id " + strconv.Quote(id)})
		return false
	}
	cmd, err := newCommand(c, agent.Heartbeat{At: time.Now().UTC(), HeartbeatTimeout: s.cfg.HeartbeatTimeout})
	if err == nil {
		cmd.SkipState = true // the agent's view, a copy of its tasks, is not looked at
		_, err = s.commands.Ask(c.Request.Context(), actors.Ref{Kind: agent.Kind, ID: id}, cmd)
	}
	if err != nil {
		if c.Request.Context().Err() == nil && !c.Writer.Written() {
			s.fail(c, err)
		}
		return false
	}
	return true
}

// beatQuietly sends the agent id a heartbeat, as a side effect of a request
// the agent made for itself; a refusal is the main command's to report.
func (s *Server) beatQuietly(c *gin.Context, id string) {
	if _, err := uuid.Parse(id); err != nil {
		return
	}
	cmd, err := newCommand(c, agent.Heartbeat{At: time.Now().UTC(), HeartbeatTimeout: s.cfg.HeartbeatTimeout})
	if err == nil {
		cmd.SkipState = true // the agent's view, a copy of its tasks, is not looked at
		_, err = s.commands.Ask(c.Request.Context(), actors.Ref{Kind: agent.Kind, ID: id}, cmd)
	}
	if err != nil {
		s.logger.Debug("implicit heartbeat refused", "agent", id, "err", err)
	}
}
