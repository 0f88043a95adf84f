package client

import (
	"context"
	"net/http"
)

// CallOption sets something on one command sent to Hive.
type CallOption func(*callOptions)

type callOptions struct {
	idempotencyKey string
	correlationID  string
}

// WithIdempotencyKey sends key as the command's Idempotency-Key: Hive
// answers the same request sent again with the same key with its first
// answer and changes nothing, so such a command is retried on transport
// errors and on 502, 503 and 504 like a read. Use a new key for each
// command: the same key with another request is refused (422).
func WithIdempotencyKey(key string) CallOption {
	return func(o *callOptions) { o.idempotencyKey = key }
}

// WithCorrelationID sends id as the command's correlation id
// (Hive-Correlation-Id): its events, and those of every reaction to them,
// carry it, so that GET /v1/events?correlation_id= finds them together.
func WithCorrelationID(id string) CallOption {
	return func(o *callOptions) { o.correlationID = id }
}

// command sends a command. It is retried when safe: when r.retry says so
// (Hive ignores it when repeated), or when it carries an idempotency key.
// It returns the answer's header.
func (c *Client) command(ctx context.Context, r request, opts []CallOption) (http.Header, error) {
	var o callOptions
	for _, opt := range opts {
		opt(&o)
	}
	r.header = http.Header{}
	if o.idempotencyKey != "" {
		r.header.Set("Idempotency-Key", o.idempotencyKey)
		r.retry = retrying
	}
	if o.correlationID != "" {
		r.header.Set("Hive-Correlation-Id", o.correlationID)
	}
	return c.send(ctx, r)
}
