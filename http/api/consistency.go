package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
)

// Headers of optimistic concurrency: an entity's version is its ETag, and a
// command with If-Match applies only to the entity at that version.
const (
	etagHeader    = "ETag"
	ifMatchHeader = "If-Match"
)

// ifVersion reads If-Match as an entity version: "5" (an ETag) or 5; absent
// or "*" is any version.
func ifVersion(c *gin.Context) (*uint64, error) {
	h := strings.TrimSpace(c.GetHeader(ifMatchHeader))
	if h == "" || h == "*" {
		return nil, nil
	}
	v, err := strconv.ParseUint(strings.Trim(strings.TrimPrefix(h, "W/"), `"`), 10, 64)
	if err != nil {
		return nil, malformed(ifMatchHeader, `must be an entity version as its ETag gives it, e.g. "5"`)
	}
	return &v, nil
}

func setETag(c *gin.Context, version uint64) {
	c.Header(etagHeader, strconv.Quote(strconv.FormatUint(version, 10)))
}

// writeResult answers status with an entity's state and the global position
// of the command's last event as "position" (0 when it appended nothing),
// so that the client can read its own write with min_position.
func writeResult(c *gin.Context, status int, state any, pos uint64) {
	raw, err := json.Marshal(state)
	if err != nil {
		_ = c.Error(err) // kept with the request for the logs; the answer is a 500
		writeProblem(c, Problem{Type: problemInternal, Status: http.StatusInternalServerError, Detail: "internal error"})
		return
	}
	if len(raw) > 1 && raw[0] == '{' {
		prefix := `{"position":` + strconv.FormatUint(pos, 10)
		if raw[1] != '}' {
			prefix += ","
		}
		raw = append([]byte(prefix), raw[1:]...)
	}
	c.Data(status, "application/json; charset=utf-8", raw)
}

// readYourWrites makes a read with ?min_position=P wait, within
// ConsistencyWait, until the read models reflect the event at P (a position
// a command's response gave), so that the read sees that command. If they
// do not in time, the read is refused with 503 and Retry-After rather than
// answered from older state.
func (s *Server) readYourWrites(c *gin.Context) {
	raw, ok := c.GetQuery("min_position")
	if !ok || c.Request.Method != http.MethodGet {
		c.Next()
		return
	}
	pos, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		s.fail(c, malformed("min_position", "must be a global position: a non-negative integer"))
		return
	}
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.ConsistencyWait)
	defer cancel()
	if err := s.read.WaitFor(ctx, pos); err != nil {
		c.Header("Retry-After", "1")
		writeProblem(c, Problem{Type: problemUnavailable, Status: http.StatusServiceUnavailable,
			Detail: fmt.Sprintf("the read models have not reached position %d yet; retry", pos)})
		return
	}
	c.Next()
}
