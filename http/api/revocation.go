package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"
)

// Long-lived requests (long polls and streams) check their token once, at
// the start, like any request; endOnRevocation ends them when the token
// ends later, and tokenValidAt keeps them from handing out anything the
// log decided after that.

// errTokenEnded is the cause of a long-lived request's context ending
// because its token can no longer be used.
var errTokenEnded = errors.New("api: the request's token was revoked")

// revokedError is the 401 of a token that was revoked for reason.
func revokedError(reason string) error {
	detail := "the token was revoked"
	if reason != "" {
		detail += ": " + reason
	}
	return &unauthenticatedError{detail}
}

// endOnRevocation starts a long-lived request (a handler calls it first,
// deferring done): the request's context ends the moment the auth index
// applies the end of its token (a revocation, or the end of its agent's
// registration), told by the index rather than found by polling it, so
// that a stream ends; done answers 401 to a long poll that had not
// answered yet. (A handler, not a middleware: one more frame between gin
// and a waiting handler doubles the stack of every idle long poll.)
func (s *Server) endOnRevocation(c *gin.Context) (done func()) {
	id := principalOf(c).tokenID
	if id == "" {
		return func() {}
	}
	ctx, cancel := context.WithCancelCause(c.Request.Context())
	stop := s.tokens.Watch(id, func() { cancel(errTokenEnded) })
	c.Request = c.Request.WithContext(ctx)
	return func() {
		stop()
		cancel(nil)
		if errors.Is(context.Cause(ctx), errTokenEnded) && !c.Writer.Written() {
			t, _ := s.tokens.Lookup(id)
			s.fail(c, revokedError(t.Reason))
		}
	}
}

// tokenValidAt reports whether the request's token is still valid with
// the auth index at pos or later: before a long-lived request hands out
// what the log holds up to pos, the index that decides the token's
// validity must have applied as much of the log (other read models may
// be ahead of it), so that an agent token never receives the work of a
// registration after its own, nor a revoked token anything decided after
// its revocation. It waits at most ConsistencyWait, then answers 503 if
// nothing was written yet; it reports false if the request must end.
func (s *Server) tokenValidAt(c *gin.Context, pos uint64) bool {
	if principalOf(c).tokenID == "" {
		return true
	}
	ctx := c.Request.Context()
	if s.tokens.Checkpoint() < pos {
		wait, cancel := context.WithTimeout(ctx, s.cfg.ConsistencyWait)
		defer cancel()
		if err := s.read.WaitFor(wait, pos); err != nil {
			if ctx.Err() == nil && !c.Writer.Written() {
				c.Header("Retry-After", "1")
				writeProblem(c, Problem{Type: problemUnavailable, Status: http.StatusServiceUnavailable, Detail: "the token index is behind the log; retry"})
			}
			return false
		}
	}
	t, ok := s.tokens.Lookup(principalOf(c).tokenID)
	return ctx.Err() == nil && ok && !t.Revoked
}
