package api

import (
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"hive/actors/decision"
	"hive/actors/token"
	"hive/projections"
)

// problemContentType is the media type of error bodies (RFC 9457).
const problemContentType = "application/problem+json"

// Problem is the body of every error response: an RFC 9457 problem details
// object, with the invalid fields listed when the request was malformed.
type Problem struct {
	// Type identifies the kind of problem, e.g. "urn:hive:problem:invalid-field".
	Type string `json:"type"`
	// Title is a short summary of the kind of problem.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence.
	Detail string `json:"detail,omitempty"`
	// Instance is the request path.
	Instance string `json:"instance,omitempty"`
	// Errors lists each invalid field and why: the first maxProblemErrors.
	Errors []decision.FieldError `json:"errors,omitempty"`
	// ErrorsOmitted is how many more invalid fields there were.
	ErrorsOmitted int `json:"errors_omitted,omitempty"`
	// CurrentVersion is the entity's version, when If-Match named another.
	CurrentVersion *uint64 `json:"current_version,omitempty"`
	// RequiredRoles are the roles that may make the request, when the
	// token's role may not (403).
	RequiredRoles []token.Role `json:"required_roles,omitempty"`
	// Lag says how far each read model is behind the log, when they are not
	// ready (GET /readyz).
	Lag []projections.Lag `json:"lag,omitempty"`
}

// Problem types.
const (
	problemMalformed    = "urn:hive:problem:malformed-body"
	problemInvalid      = "urn:hive:problem:invalid-field"
	problemTooLarge     = "urn:hive:problem:body-too-large"
	problemConflict     = "urn:hive:problem:conflict"
	problemPrecondition = "urn:hive:problem:version-mismatch"
	problemNotFound     = "urn:hive:problem:not-found"
	problemUnavailable  = "urn:hive:problem:unavailable"
	problemInternal     = "urn:hive:problem:internal"
	// problemUnauthenticated: no token, or not a valid one (401).
	problemUnauthenticated = "urn:hive:problem:unauthenticated"
	// problemForbidden: the token's role may not do this (403).
	problemForbidden = "urn:hive:problem:forbidden"
	// problemRateLimited: the token, or the client address, made too many
	// requests (429).
	problemRateLimited = "urn:hive:problem:rate-limited"
	// problemNoSpace: the event store's disk is full (507).
	problemNoSpace = "urn:hive:problem:insufficient-storage"
)

// Bounds of a problem, so that no request, however large, makes a large
// answer: at most maxProblemErrors field errors (ErrorsOmitted counts the
// rest), and each text cut to its length in bytes.
const (
	maxProblemErrors = 100
	maxDetailLength  = 1000
	maxFieldLength   = 200
	maxReasonLength  = 500
)

// bound cuts p to the bounds of a problem. Its errors are copied: they
// belong to the error being answered.
func (p *Problem) bound() {
	p.Detail = clip(p.Detail, maxDetailLength)
	if len(p.Errors) == 0 {
		return
	}
	errs := make([]decision.FieldError, min(len(p.Errors), maxProblemErrors))
	for i, e := range p.Errors[:len(errs)] {
		errs[i] = decision.FieldError{Field: clip(e.Field, maxFieldLength), Reason: clip(e.Reason, maxReasonLength)}
	}
	p.Errors, p.ErrorsOmitted = errs, len(p.Errors)-len(errs)
}

// clip returns s, or its first max bytes (cut at a character's start)
// followed by "...".
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max] + "..."
}

func writeProblem(c *gin.Context, p Problem) {
	p.bound()
	p.Title = http.StatusText(p.Status)
	p.Instance = c.Request.URL.Path
	c.Header("Content-Type", problemContentType)
	c.AbortWithStatusJSON(p.Status, p)
}

// notFound answers routes and methods the API does not serve.
func notFound(c *gin.Context) {
	writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no such resource"})
}
