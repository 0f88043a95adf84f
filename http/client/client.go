// Package client is a Go client of Hive's HTTP API. For agent workers it
// registers an agent (or resumes one already registered), long-polls its
// assignments, heartbeats, reports progress, and completes or fails tasks;
// for operators it lists, reads and commands agents, swarms, workflow runs
// and definitions, tasks, waits for a run or a task to end (AwaitRun,
// AwaitTask), and reads the event log.
//
// A Client is safe for concurrent use. Every method takes a context and
// returns a *ProblemError when Hive answers with a problem. Requests that
// are safe to repeat — reads, heartbeats, registration, and task results,
// which Hive ignores when already reported, and every command sent
// WithIdempotencyKey — are retried on transport errors and on 502, 503 and
// 504; other commands and progress reports are not. Answers keep their
// JSON, with every field, in Raw.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config configures a Client.
type Config struct {
	// Server is Hive's base URL, e.g. "http://127.0.0.1:8080". Required.
	Server string
	// Token, if set, is sent as "Authorization: Bearer <token>".
	Token string
	// HTTPClient makes the requests; http.DefaultClient if nil. Its
	// Timeout, if any, must exceed the longest wait asked for: MaxWait
	// for assignments, MaxResultWait for runs and tasks.
	HTTPClient *http.Client
	// Retries is how many times a safe request is tried again (default 4;
	// negative: never).
	Retries int
	// RetryBackoff is the first wait before a retry, doubling each time
	// (default 200 ms).
	RetryBackoff time.Duration
}

func (c *Config) setDefaults() {
	if c.HTTPClient == nil {
		c.HTTPClient = http.DefaultClient
	}
	if c.Retries == 0 {
		c.Retries = 4
	}
	if c.RetryBackoff == 0 {
		c.RetryBackoff = 200 * time.Millisecond
	}
}

// Validate reports every invalid setting.
func (c Config) Validate() error {
	var errs []error
	if u, err := url.Parse(c.Server); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("client: Server %q must be an http or https URL", c.Server))
	}
	if strings.ContainsAny(c.Token, " \r\n") {
		errs = append(errs, errors.New("client: Token must not contain spaces or line breaks"))
	}
	if c.RetryBackoff < 0 {
		errs = append(errs, errors.New("client: RetryBackoff must not be negative"))
	}
	return errors.Join(errs...)
}

// Client calls Hive's API.
type Client struct {
	cfg  Config
	base string
}

// New returns a client for cfg.
func New(cfg Config) (*Client, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Client{cfg: cfg, base: strings.TrimRight(cfg.Server, "/")}, nil
}

// retry says whether a request may be sent again.
type retry bool

const (
	once     retry = false
	retrying retry = true
)

// do sends method path with body (JSON, if not nil) and decodes a 2xx
// answer into out (if not nil). A safe request is retried on transport
// errors and on 502, 503 and 504, honouring Retry-After.
func (c *Client) do(ctx context.Context, r retry, method, path string, body, out any) error {
	_, err := c.send(ctx, request{retry: r, method: method, path: path, body: body, out: out})
	return err
}

// request is one call of the API.
type request struct {
	retry        retry
	method, path string
	// body is sent as JSON if not nil; out receives a 2xx answer's JSON
	// if not nil.
	body, out any
	// header is added to the request.
	header http.Header
}

// send makes the request, retrying a safe one on transport errors and on
// 502, 503 and 504, honouring Retry-After, and returns the answer's header.
func (c *Client) send(ctx context.Context, r request) (http.Header, error) {
	var raw []byte
	if r.body != nil {
		var err error
		if raw, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("encode %s %s: %w", r.method, r.path, err)
		}
	}
	wait := c.cfg.RetryBackoff
	for attempt := 0; ; attempt++ {
		header, after, err := c.once(ctx, r, raw)
		if err == nil || !bool(r.retry) || attempt >= c.cfg.Retries || !retryable(err) || ctx.Err() != nil {
			return header, err
		}
		select {
		case <-ctx.Done():
			return nil, err
		case <-time.After(max(wait, after)):
		}
		wait *= 2
	}
}

// once sends one request; on a retryable problem it also returns the wait
// the server asked for.
func (c *Client) once(ctx context.Context, r request, body []byte) (http.Header, time.Duration, error) {
	method, path := r.method, r.path
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.Token)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, 0, &transportError{err: fmt.Errorf("%s %s: %w", method, path, err)}
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, 0, &transportError{err: fmt.Errorf("%s %s: read answer: %w", method, path, err)}
	}
	if resp.StatusCode >= 300 {
		return resp.Header, retryAfter(resp.Header), problemFrom(resp.StatusCode, data)
	}
	if r.out != nil {
		if err := json.Unmarshal(data, r.out); err != nil {
			return resp.Header, 0, fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
	}
	return resp.Header, 0, nil
}

// transportError is a request that got no answer.
type transportError struct{ err error }

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func retryable(err error) bool {
	var t *transportError
	var p *ProblemError
	switch {
	case errors.As(err, &t):
		return !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
	case errors.As(err, &p):
		return p.Status == http.StatusBadGateway || p.Status == http.StatusServiceUnavailable || p.Status == http.StatusGatewayTimeout
	}
	return false
}

func retryAfter(h http.Header) time.Duration {
	secs, err := strconv.Atoi(h.Get("Retry-After"))
	if err != nil || secs < 0 {
		return 0
	}
	return min(time.Duration(secs)*time.Second, time.Minute)
}

// unmarshalKeepingRaw decodes b into plain (the caller's type without its
// UnmarshalJSON, so that decoding does not recurse) and keeps a copy of b
// in raw, the answer's JSON as Hive sent it.
func unmarshalKeepingRaw[T any](b []byte, plain *T, raw *json.RawMessage) error {
	if err := json.Unmarshal(b, plain); err != nil {
		return err
	}
	*raw = slices.Clone(b)
	return nil
}
