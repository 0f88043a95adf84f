package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"google.golang.org/protobuf/encoding/protojson"

	"hive/actors/token"
	"hive/events"
)

// Limits of the event log routes.
const (
	// maxScan bounds how many events one GET /v1/events looks through to
	// fill a filtered page; the next cursor continues from where it stopped.
	maxScan  = 10_000
	scanPage = 1000
)

// EventJSON is an event as the audit routes (and the CLI's JSON output)
// show it: the envelope, and the payload as protobuf JSON (null for a type
// this build does not know, with the raw payload in payload_base64, as for
// every event when raw=true is asked). The JSON payload never shows a
// secret (events.Redact, e.g. a token's secretHash): Redacted names the
// fields left out, and only an admin's raw=true gets such an event's
// exact bytes.
type EventJSON struct {
	ID            string          `json:"id"`
	Stream        string          `json:"stream"`
	Version       uint64          `json:"version"`
	Position      uint64          `json:"position"`
	Type          string          `json:"type"`
	RecordedAt    time.Time       `json:"recorded_at"`
	CorrelationID string          `json:"correlation_id,omitempty"`
	CausationID   string          `json:"causation_id,omitempty"`
	Principal     string          `json:"principal,omitempty"`
	SchemaVersion uint32          `json:"schema_version"`
	Payload       json.RawMessage `json:"payload"`
	PayloadBase64 []byte          `json:"payload_base64,omitempty"`
	// Redacted are the payload's fields left out of Payload, as secrets.
	Redacted []string `json:"redacted,omitempty"`
	Hash     string   `json:"hash"`
}

// NewEventJSON returns env as EventJSON.
func NewEventJSON(env *events.Envelope) EventJSON {
	out := EventJSON{
		ID: env.ID.String(), Stream: env.Stream, Version: env.Version, Position: env.Position, Type: env.Type,
		RecordedAt: env.RecordedAt, CorrelationID: env.CorrelationID, CausationID: env.CausationID,
		Principal: env.Principal, SchemaVersion: env.SchemaVersion, Payload: json.RawMessage("null"), Hash: env.Hash.String(),
	}
	msg, err := events.Decode(env)
	if err == nil {
		out.Redacted = events.Redact(msg)
		if raw, err := protojson.Marshal(msg); err == nil {
			out.Payload = raw
			return out
		}
	}
	out.PayloadBase64 = env.Payload
	return out
}

// listEvents serves GET /v1/events: the global log in position order, a
// page at a time, optionally filtered by stream, type and correlation_id.
// The page starts after the cursor, or after the position `after`. The
// next cursor is always given (also at the end of the log), so that a
// client can poll for what comes next, and so is the log's head when the
// store tells it. With raw=true every event carries its exact payload
// bytes in payload_base64, so that a client can verify its hash.
func (s *Server) listEvents(c *gin.Context) {
	p, err := readPage(c, "events")
	if err != nil {
		s.fail(c, err)
		return
	}
	opts, err := readLogQuery(c, &p)
	if err != nil {
		s.fail(c, err)
		return
	}
	stream, typ, corr := c.Query("stream"), c.Query("type"), c.Query("correlation_id")
	after := uint64(p.from)
	items := []EventJSON{}
	for scanned := 0; scanned < maxScan && len(items) < p.limit; {
		page, err := s.log.ReadAll(c.Request.Context(), after, scanPage)
		if err != nil {
			s.fail(c, err)
			return
		}
		for i := range page {
			env := &page[i]
			if len(items) == p.limit {
				break
			}
			after = env.Position
			scanned++
			if (stream == "" || env.Stream == stream) && (typ == "" || env.Type == typ) && (corr == "" || env.CorrelationID == corr) {
				items = append(items, opts.toJSON(env))
			}
		}
		if len(page) < scanPage {
			break
		}
	}
	body := gin.H{"events": items, "next_cursor": encodeCursor("events", int(after))}
	if h, ok := s.log.(logHead); ok {
		head, err := h.Head(c.Request.Context())
		if err != nil {
			s.fail(c, err)
			return
		}
		body["head"] = head
	}
	c.JSON(http.StatusOK, body)
}

// logHead is the optional capability of an EventLog to tell its head.
type logHead interface {
	Head(ctx context.Context) (uint64, error)
}

// logQuery are the query parameters of the log routes beyond paging.
type logQuery struct {
	// raw: every event with its payload bytes.
	raw bool
	// secrets: the caller (an admin) may have the payload bytes of events
	// that hold secrets too.
	secrets bool
}

func (q logQuery) toJSON(env *events.Envelope) EventJSON {
	out := NewEventJSON(env)
	if q.raw && (q.secrets || len(out.Redacted) == 0) {
		out.PayloadBase64 = env.Payload
	}
	return out
}

// readLogQuery reads raw and, into p, after: a position to start after,
// instead of a cursor.
func readLogQuery(c *gin.Context, p *pageRequest) (logQuery, error) {
	q, err := readRaw(c)
	if err != nil {
		return q, err
	}
	raw, ok := c.GetQuery("after")
	if !ok {
		return q, nil
	}
	if c.Query("cursor") != "" {
		return q, malformed("after", "give after or cursor, not both")
	}
	after, err := strconv.ParseUint(raw, 10, 63)
	if err != nil {
		return q, malformed("after", "must be a global position: an integer from 0")
	}
	p.from = int(after)
	return q, nil
}

// readRaw reads the raw query parameter.
func readRaw(c *gin.Context) (logQuery, error) {
	q := logQuery{secrets: token.Role(principalOf(c).Role) == token.RoleAdmin}
	switch c.DefaultQuery("raw", "false") {
	case "false":
		return q, nil
	case "true":
		q.raw = true
		return q, nil
	default:
		return q, malformed("raw", `must be "true" or "false"`)
	}
}

// readStream serves GET /v1/streams/{stream}: one stream's events from
// version `from` (default 1, or its newest with direction=backward), up to
// limit; with raw=true each with its payload bytes, as GET /v1/events.
func (s *Server) readStream(c *gin.Context) {
	p, err := readPage(c, "stream")
	if err != nil {
		s.fail(c, err)
		return
	}
	opts, err := readRaw(c)
	if err != nil {
		s.fail(c, err)
		return
	}
	dir := events.Forward
	from := uint64(1)
	switch c.DefaultQuery("direction", "forward") {
	case "forward":
	case "backward":
		dir, from = events.Backward, events.End
	default:
		s.fail(c, malformed("direction", `must be "forward" or "backward"`))
		return
	}
	if raw, ok := c.GetQuery("from"); ok {
		if from, err = strconv.ParseUint(raw, 10, 64); err != nil || from == 0 {
			s.fail(c, malformed("from", "must be a stream version: an integer from 1"))
			return
		}
	}
	page, err := s.log.ReadStream(c.Request.Context(), c.Param("stream"), from, dir, p.limit)
	if errors.Is(err, events.ErrStreamNotFound) {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no stream " + strconv.Quote(c.Param("stream"))})
		return
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	items := make([]EventJSON, len(page))
	for i := range page {
		items[i] = opts.toJSON(&page[i])
	}
	c.JSON(http.StatusOK, gin.H{"stream": c.Param("stream"), "events": items})
}
