package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Event is an event of Hive's log, its payload as JSON.
type Event struct {
	ID            string    `json:"id"`
	Stream        string    `json:"stream"`
	Version       uint64    `json:"version"`
	Position      uint64    `json:"position"`
	Type          string    `json:"type"`
	RecordedAt    time.Time `json:"recorded_at"`
	CorrelationID string    `json:"correlation_id,omitempty"`
	CausationID   string    `json:"causation_id,omitempty"`
	Principal     string    `json:"principal,omitempty"`
	SchemaVersion uint32    `json:"schema_version"`
	// Payload is null for a type the server does not know.
	Payload json.RawMessage `json:"payload"`
	// PayloadBase64 is the payload's exact bytes: given for a type the
	// server does not know, and for every event read with Raw, except to
	// a token other than an admin's for an event that holds secrets.
	PayloadBase64 []byte `json:"payload_base64,omitempty"`
	// Redacted are the payload's fields left out of Payload, as secrets.
	Redacted []string `json:"redacted,omitempty"`
	Hash     string   `json:"hash"`
	// Raw is the event's JSON as Hive answered it, with every field.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes an event, keeping its JSON in Raw.
func (e *Event) UnmarshalJSON(b []byte) error {
	type plain Event
	return unmarshalKeepingRaw(b, (*plain)(e), &e.Raw)
}

// EventFilter selects events of the log; empty fields select all.
type EventFilter struct {
	Stream        string
	Type          string
	CorrelationID string
	PageRequest
}

// ListEvents returns a page of the log's events that match f, in log
// order. Its NextCursor is given also at the end of the log: pass it
// later to read what was appended since.
func (c *Client) ListEvents(ctx context.Context, f EventFilter) (Page[Event], error) {
	q := f.query()
	setIf(q, "stream", f.Stream)
	setIf(q, "type", f.Type)
	setIf(q, "correlation_id", f.CorrelationID)
	return list[Event](ctx, c, "/v1/events", q, "events")
}

// StreamRead says which events of a stream to read.
type StreamRead struct {
	// From is the first version to read: 1 (forward) or the newest
	// (backward) if 0.
	From     uint64
	Backward bool
	// Limit is how many events, 1 to 1000; 0 means Hive's default (100).
	Limit int
	// Raw asks for every event's exact payload bytes (PayloadBase64).
	Raw bool
}

// ReadStream returns events of one stream, e.g. "agent-<id>".
func (c *Client) ReadStream(ctx context.Context, stream string, r StreamRead) ([]Event, error) {
	q := url.Values{}
	if r.From > 0 {
		q.Set("from", strconv.FormatUint(r.From, 10))
	}
	if r.Backward {
		q.Set("direction", "backward")
	}
	if r.Limit > 0 {
		q.Set("limit", strconv.Itoa(r.Limit))
	}
	if r.Raw {
		q.Set("raw", "true")
	}
	path := "/v1/streams/" + url.PathEscape(stream)
	if enc := q.Encode(); enc != "" {
		path += "?" + enc
	}
	var body struct {
		Events []Event `json:"events"`
	}
	err := c.do(ctx, retrying, http.MethodGet, path, nil, &body)
	return body.Events, err
}

// LogRead says which events of the global log to read.
type LogRead struct {
	// After is the position to read after: 0 for the start of the log.
	After uint64
	// Limit is how many events, 1 to 1000; 0 means Hive's default (100).
	Limit int
	// Raw asks for every event's exact payload bytes (PayloadBase64).
	Raw bool
}

// LogPage is a page of the global log.
type LogPage struct {
	Events []Event
	// Head is the position of the log's newest event when it was read.
	Head uint64
}

// ReadLog returns the events of the global log after r.After, in position
// order, and the log's head.
func (c *Client) ReadLog(ctx context.Context, r LogRead) (LogPage, error) {
	q := url.Values{}
	q.Set("after", strconv.FormatUint(r.After, 10))
	if r.Limit > 0 {
		q.Set("limit", strconv.Itoa(r.Limit))
	}
	if r.Raw {
		q.Set("raw", "true")
	}
	var body struct {
		Events []Event `json:"events"`
		Head   uint64  `json:"head"`
	}
	err := c.do(ctx, retrying, http.MethodGet, "/v1/events?"+q.Encode(), nil, &body)
	return LogPage{Events: body.Events, Head: body.Head}, err
}
