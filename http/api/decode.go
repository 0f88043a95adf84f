package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"hive/actors/decision"
)

// decodeJSON reads the request body, at most maxBody bytes, into v. The body
// must be one JSON object with no fields v does not know, and its strings
// valid UTF-8 (see checkText).
func decodeJSON(c *gin.Context, maxBody int64, v any) error {
	body, err := readBody(c, maxBody)
	if err != nil {
		return decodeError(err, maxBody)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err, maxBody)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return decodeError(err, maxBody)
		}
		return malformed("", "the body must hold exactly one JSON value")
	}
	return checkText(body)
}

// readBody reads the request body, at most maxBody bytes, into a buffer of
// its declared length when it has one.
func readBody(c *gin.Context, maxBody int64) ([]byte, error) {
	r := http.MaxBytesReader(c.Writer, c.Request.Body, maxBody)
	n := c.Request.ContentLength
	if n <= 0 || n > maxBody {
		return io.ReadAll(r)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

func decodeError(err error, maxBody int64) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return &badRequestError{status: http.StatusRequestEntityTooLarge, typ: problemTooLarge,
			detail: fmt.Sprintf("the body is larger than %d bytes", maxBody)}
	case errors.Is(err, io.EOF):
		return malformed("", "the body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("", "the body ends in the middle of a JSON value")
	case errors.As(err, &syntax):
		return malformed("", fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "body"
		}
		return malformed(field, fmt.Sprintf("must be %s, not JSON %s", jsonKind(typ.Type.Kind().String()), typ.Value))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return malformed(field, "unknown field")
	default:
		return malformed("", err.Error())
	}
}

func malformed(field, reason string) error {
	e := &badRequestError{status: http.StatusBadRequest, typ: problemMalformed, detail: reason}
	if field != "" {
		e.detail = field + ": " + reason
		e.fields = []decision.FieldError{{Field: field, Reason: reason}}
	}
	return e
}

// jsonKind names a Go kind as the JSON type a client should send.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer in range"
	case kind == "string":
		return "a string"
	case kind == "slice":
		return "an array"
	case kind == "map", kind == "struct":
		return "an object"
	default:
		return kind
	}
}
