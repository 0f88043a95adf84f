package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ProblemError is an error answer of Hive's API: an RFC 9457 problem.
type ProblemError struct {
	// Status is the HTTP status.
	Status int `json:"status"`
	// Type identifies the kind of problem, e.g.
	// "urn:hive:problem:invalid-field".
	Type   string `json:"type"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	// Errors are the invalid fields, if any.
	Errors []FieldError `json:"errors"`
	// RequiredRoles are the roles that may make the request, when the
	// token's may not (403).
	RequiredRoles []string `json:"required_roles,omitempty"`
}

// FieldError is one invalid field of a request and why.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e *ProblemError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "hive: %d %s", e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	for _, f := range e.Errors {
		fmt.Fprintf(&b, "; %s %s", f.Field, f.Reason)
	}
	return b.String()
}

// Field returns why field was invalid, and whether the problem names it.
func (e *ProblemError) Field(field string) (string, bool) {
	for _, f := range e.Errors {
		if f.Field == field {
			return f.Reason, true
		}
	}
	return "", false
}

// StatusOf returns the HTTP status of a *ProblemError in err's chain, or 0.
func StatusOf(err error) int {
	var p *ProblemError
	if errors.As(err, &p) {
		return p.Status
	}
	return 0
}

// problemFrom reads an error answer; one that is not a problem keeps its
// body, shortened, as the detail.
func problemFrom(status int, body []byte) *ProblemError {
	p := &ProblemError{}
	if err := json.Unmarshal(body, p); err != nil || p.Status == 0 {
		detail := strings.TrimSpace(string(body))
		if len(detail) > 200 {
			detail = detail[:200] + "…"
		}
		p = &ProblemError{Detail: detail}
	}
	p.Status = status
	return p
}
