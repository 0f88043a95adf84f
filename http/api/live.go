package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"hive/actors/decision"
	"hive/http/live"
)

// LiveHub streams read-model changes (GET /v1/live).
type LiveHub interface {
	// Subscribe registers a stream of the topics' changes after
	// lastEventID ("" for a new stream).
	Subscribe(ctx context.Context, topics []string, lastEventID string) (*live.Subscription, error)
}

// liveStream answers GET /v1/live: server-sent events of the read models'
// changes on the topics asked for, resumed after Last-Event-ID (or the
// query's last_event_id, for clients that cannot set headers); see
// package live for the events.
func (s *Server) liveStream(c *gin.Context) {
	defer s.endOnRevocation(c)()
	if s.live == nil {
		writeProblem(c, Problem{Type: problemUnavailable, Status: http.StatusServiceUnavailable, Detail: "this server serves no live changes"})
		return
	}
	topics, err := live.ParseTopics(c.Query("topics"))
	if err != nil {
		var f decision.Fields
		f.Add("topics", err.Error())
		s.fail(c, f.Err())
		return
	}
	lastID := c.GetHeader("Last-Event-ID")
	if lastID == "" {
		lastID = c.Query("last_event_id")
	}
	sub, err := s.live.Subscribe(c.Request.Context(), topics, lastID)
	if err != nil {
		if errors.Is(err, live.ErrClosed) {
			c.Header("Retry-After", "1")
			writeProblem(c, Problem{Type: problemUnavailable, Status: http.StatusServiceUnavailable, Detail: "the server is stopping"})
		}
		return // else the client went away
	}
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-cache")
	c.Header("X-Accel-Buffering", "no")
	c.Status(http.StatusOK)
	if err := sub.Stream(c.Request.Context(), &sseSink{s: s, c: c}); err != nil {
		s.logger.Debug("live stream ended", "err", err)
	}
}

// sseSink writes a stream to a response, each write allowed at least half
// of writeSlack: the server's write timeout does not cut a long stream.
type sseSink struct {
	s *Server
	c *gin.Context
	// until is when the write deadline passes.
	until time.Time
}

func (w *sseSink) Write(p []byte) (int, error) {
	if now := time.Now(); w.until.Sub(now) < writeSlack/2 {
		w.s.holdOpen(w.c, writeSlack)
		w.until = now.Add(writeSlack)
	}
	return w.c.Writer.Write(p)
}

func (w *sseSink) Flush() error {
	if err := http.NewResponseController(w.c.Writer).Flush(); err != nil {
		return fmt.Errorf("flush the live stream: %w", err)
	}
	return nil
}
