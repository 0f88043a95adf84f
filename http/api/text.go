package api

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/go-json-experiment/json/jsontext"
)

// Text that is not UTF-8 is refused where it enters, with a 400 naming
// where it is: in JSON bodies (decodeJSON), path and query parameters
// (requireText) and the headers that become event data (Idempotency-Key
// and Hive-Correlation-Id, which must be printable ASCII). Go's
// encoding/json would replace such bytes silently in the fields it
// decodes, keep them in the raw JSON values that events carry (a task's
// input and output, a step's input), and protobuf refuses them in a string
// field.

// invalidText is the reason given for text that is not UTF-8.
const invalidText = "must be valid UTF-8, without unpaired surrogate escapes such as \\udc00"

// requireText is the middleware of /v1 that refuses path and query
// parameters that are not valid UTF-8.
func (s *Server) requireText(c *gin.Context) {
	for _, p := range c.Params {
		if !utf8.ValidString(p.Value) {
			s.fail(c, malformed(p.Key, invalidText))
			return
		}
	}
	query := c.Request.URL.Query()
	for _, k := range slices.Sorted(maps.Keys(query)) {
		if !utf8.ValidString(k) {
			s.fail(c, malformed("query", "parameter names "+invalidText))
			return
		}
		for _, v := range query[k] {
			if !utf8.ValidString(v) {
				s.fail(c, malformed(k, invalidText))
				return
			}
		}
	}
	c.Next()
}

// checkText refuses a JSON body, which encoding/json accepted, whose
// strings are not valid UTF-8 or hold an unpaired surrogate escape (RFC
// 8259 requires UTF-8, RFC 7493 forbids lone surrogates), naming the
// string's field. A body of valid UTF-8 without \u escapes, as most are,
// is passed at once; others are read again by jsontext, which refuses
// exactly these strings (it is told to accept the duplicate names that
// encoding/json accepts).
func checkText(body []byte) error {
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u`)) {
		return nil
	}
	dec := jsontext.NewDecoder(bytes.NewReader(body), jsontext.AllowDuplicateNames(true))
	for {
		_, err := dec.ReadToken()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			field := "body"
			var syntax *jsontext.SyntacticError
			if errors.As(err, &syntax) {
				field = fieldAt(dec, syntax.JSONPointer)
			}
			return malformed(field, invalidText)
		}
	}
}

// fieldAt names the field at ptr as the API's errors do ("steps[0].id",
// "labels.team"), knowing from dec which levels are arrays.
func fieldAt(dec *jsontext.Decoder, ptr jsontext.Pointer) string {
	var b strings.Builder
	level := 1
	for tok := range ptr.Tokens() {
		kind := jsontext.Kind('{')
		if level <= dec.StackDepth() {
			kind, _ = dec.StackIndex(level)
		}
		switch {
		case kind == '[':
			b.WriteString("[" + tok + "]")
		case b.Len() > 0:
			b.WriteString("." + tok)
		default:
			b.WriteString(tok)
		}
		level++
	}
	if b.Len() == 0 {
		return "body"
	}
	return b.String()
}
