package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"hive/actors"
	"hive/actors/decision"
	"hive/events"
)

// fail answers err as a problem. It is the one place where errors from the
// layers below become HTTP statuses.
func (s *Server) fail(c *gin.Context, err error) {
	c.Writer.Header().Del("Location") // set early by handlers that create
	var invalid *decision.InvalidError
	var bad *badRequestError
	var mismatch *actors.VersionMismatchError
	var unauthenticated *unauthenticatedError
	var forbidden *forbiddenError
	var limited *rateLimitedError
	switch {
	case errors.As(err, &unauthenticated):
		c.Header("WWW-Authenticate", `Bearer realm="hive"`)
		writeProblem(c, Problem{Type: problemUnauthenticated, Status: http.StatusUnauthorized, Detail: unauthenticated.reason})
	case errors.As(err, &forbidden):
		writeProblem(c, Problem{Type: problemForbidden, Status: http.StatusForbidden, Detail: forbidden.detail, RequiredRoles: forbidden.need})
	case errors.As(err, &limited):
		c.Header("Retry-After", strconv.Itoa(retryAfterSeconds(limited.retryAfter)))
		writeProblem(c, Problem{Type: problemRateLimited, Status: http.StatusTooManyRequests, Detail: err.Error()})
	case errors.Is(err, errAuthIndexBehind):
		c.Header("Retry-After", "1")
		writeProblem(c, Problem{Type: problemUnavailable, Status: http.StatusServiceUnavailable, Detail: err.Error()})
	case errors.As(err, &mismatch):
		writeProblem(c, Problem{Type: problemPrecondition, Status: http.StatusPreconditionFailed, CurrentVersion: &mismatch.Actual,
			Detail: fmt.Sprintf("If-Match named version %d, but %s is at version %d", mismatch.Expected, mismatch.Ref, mismatch.Actual)})
	case errors.As(err, &bad):
		writeProblem(c, Problem{Type: bad.typ, Status: bad.status, Detail: bad.detail, Errors: bad.fields})
	case errors.As(err, &invalid):
		writeProblem(c, Problem{Type: problemInvalid, Status: http.StatusUnprocessableEntity,
			Detail: "the request has invalid fields", Errors: invalid.Fields})
	case errors.Is(err, decision.ErrInvalid):
		writeProblem(c, Problem{Type: problemInvalid, Status: http.StatusUnprocessableEntity, Detail: err.Error()})
	case errors.Is(err, decision.ErrConflict):
		writeProblem(c, Problem{Type: problemConflict, Status: http.StatusConflict, Detail: err.Error()})
	case errors.Is(err, events.ErrInvalidArgument):
		writeProblem(c, Problem{Type: problemMalformed, Status: http.StatusBadRequest, Detail: err.Error()})
	case errors.Is(err, decision.ErrNotFound):
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: err.Error()})
	case errors.Is(err, events.ErrUnavailable):
		// An outage of the store fails every request for a while: each is
		// worth a warning, not an error report.
		s.logger.Warn("event store unavailable", "path", c.Request.URL.Path, "err", err)
		c.Header("Retry-After", "1")
		writeProblem(c, Problem{Type: problemUnavailable, Status: http.StatusServiceUnavailable,
			Detail: "the event store cannot be reached just now; retry after Retry-After (a command that was being recorded may or may not have been: retried with the same Idempotency-Key, it is carried out once)"})
	case errors.Is(err, actors.ErrUnavailable), errors.Is(err, actors.ErrEntityFailed),
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		s.logger.Warn("command not handled", "path", c.Request.URL.Path, "err", err)
		c.Header("Retry-After", "1")
		writeProblem(c, Problem{Type: problemUnavailable, Status: http.StatusServiceUnavailable,
			Detail: "the command could not be handled in time; retrying it is safe"})
	case errors.Is(err, events.ErrNoSpace):
		writeProblem(c, Problem{Type: problemNoSpace, Status: http.StatusInsufficientStorage,
			Detail: "the event store's disk is full, so the command was not carried out; retry it once space is freed"})
	default:
		s.logger.Error("request failed", "path", c.Request.URL.Path, "err", err)
		writeProblem(c, Problem{Type: problemInternal, Status: http.StatusInternalServerError, Detail: "internal error"})
	}
}

// badRequestError is a request the API refuses before it reaches an entity.
type badRequestError struct {
	status int
	typ    string
	detail string
	fields []decision.FieldError
}

func (e *badRequestError) Error() string { return e.detail }
