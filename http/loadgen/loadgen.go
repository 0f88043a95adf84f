// Package loadgen is the load generator of Hive's HTTP benchmarks. It
// speaks minimal HTTP/1.1 over keep-alive TCP connections itself, so that
// it takes as little of the machine's CPU from the server under test as it
// can, and it measures each request's latency. Closed-loop runs (Run) send
// the next request as soon as the previous one is answered and measure the
// highest rate; paced runs (Paced) send at a fixed rate and measure latency
// from when each request was due, so that a slow server cannot hide its
// queueing (no coordinated omission).
package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Request is one request of a run.
type Request struct {
	Method, Path string
	// Bearer is the token to send, if not empty.
	Bearer string
	Body   []byte
	// Want is the status the answer must have.
	Want int
}

// StatusError is an answer with another status than the request's Want.
type StatusError struct {
	Method, Path string
	Status, Want int
	Body         string
}

// Error names the request, both statuses and the answer's body.
func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: %d, want %d: %s", e.Method, e.Path, e.Status, e.Want, e.Body)
}

// Conn is one keep-alive HTTP/1.1 connection. It is used by one goroutine
// at a time.
type Conn struct {
	conn net.Conn
	r    *bufio.Reader
	req  []byte
	body []byte
}

// Dial connects to addr ("host:port").
func Dial(addr string) (*Conn, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &Conn{conn: conn, r: bufio.NewReaderSize(conn, 16<<10)}, nil
}

// Close closes the connection.
func (c *Conn) Close() error { return c.conn.Close() }

// Do sends r and reads the answer; an answer other than r.Want is an error
// carrying its body.
func (c *Conn) Do(r Request) error {
	c.req = fmt.Appendf(c.req[:0], "%s %s HTTP/1.1\r\nHost: loadgen\r\n", r.Method, r.Path)
	if r.Bearer != "" {
		c.req = fmt.Appendf(c.req, "Authorization: Bearer %s\r\n", r.Bearer)
	}
	c.req = fmt.Appendf(c.req, "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n", len(r.Body))
	c.req = append(c.req, r.Body...)
	if _, err := c.conn.Write(c.req); err != nil {
		return err
	}
	status, length, err := c.readHead()
	if err == nil {
		err = c.readBody(length)
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
	}
	if status != r.Want {
		return &StatusError{Method: r.Method, Path: r.Path, Status: status, Want: r.Want, Body: string(c.body)}
	}
	return nil
}

// chunked is the length readHead reports for a chunked body.
const chunked = -2

// readBody reads the answer's body, of length bytes or chunked, into
// c.body.
func (c *Conn) readBody(length int) error {
	if length != chunked {
		c.body = slices.Grow(c.body[:0], length)[:length]
		_, err := io.ReadFull(c.r, c.body)
		return err
	}
	c.body = c.body[:0]
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		size, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 16, 31)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		n := len(c.body)
		c.body = slices.Grow(c.body, int(size)+2)[:n+int(size)+2]
		if _, err := io.ReadFull(c.r, c.body[n:]); err != nil {
			return err
		}
		c.body = c.body[:n+int(size)] // without the chunk's CRLF
		if size == 0 {
			return nil // a chunked answer Hive sends has no trailers
		}
	}
}

// readHead reads the status line and headers of an answer; the length is
// chunked for a chunked body.
func (c *Conn) readHead() (status, length int, err error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return 0, 0, err
	}
	if len(line) < 12 {
		return 0, 0, fmt.Errorf("bad status line %q", line)
	}
	if status, err = strconv.Atoi(string(line[9:12])); err != nil {
		return 0, 0, fmt.Errorf("bad status line %q", line)
	}
	length = -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, 0, err
		}
		if len(line) <= 2 {
			break
		}
		k, v, ok := bytes.Cut(line, []byte(":"))
		switch {
		case !ok:
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return 0, 0, err
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")) && bytes.EqualFold(bytes.TrimSpace(v), []byte("chunked")):
			length = chunked
		}
	}
	if length == -1 {
		return 0, 0, fmt.Errorf("answer without Content-Length or chunks (status %d)", status)
	}
	return status, length, nil
}

// Result is what a run measured.
type Result struct {
	// Latencies of every request, sorted.
	Latencies []time.Duration
	Took      time.Duration
}

// Rate is the requests answered per second.
func (r Result) Rate() float64 { return float64(len(r.Latencies)) / r.Took.Seconds() }

// Percentile returns the q-quantile of the latencies in milliseconds.
func (r Result) Percentile(q float64) float64 {
	if len(r.Latencies) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(r.Latencies)))) - 1
	return float64(r.Latencies[max(i, 0)]) / float64(time.Millisecond)
}

// Next returns the i-th request a connection sends (i counts over the whole
// run); conn is the connection's index.
type Next func(conn, i int) Request

// Run sends n requests over conns, each connection sending its next request
// as soon as its previous one is answered. It stops at the first error.
func Run(conns []*Conn, n int, next Next) (Result, error) {
	var seq atomic.Int64
	return run(conns, func(int) (int, time.Time, bool) {
		i := int(seq.Add(1)) - 1
		return i, time.Now(), i < n
	}, send(next))
}

// RunFor is Run for a duration instead of a count: each connection sends
// its next request as soon as its previous one is answered until d has
// passed since the start. It stops at the first error.
func RunFor(conns []*Conn, d time.Duration, next Next) (Result, error) {
	var seq atomic.Int64
	end := time.Now().Add(d)
	return run(conns, func(int) (int, time.Time, bool) {
		now := time.Now()
		return int(seq.Add(1)) - 1, now, now.Before(end)
	}, send(next))
}

// Paced sends n requests over conns at rate requests per second in all,
// each due at start + i/rate, and measures each latency from when the
// request was due.
func Paced(conns []*Conn, n int, rate float64, next Next) (Result, error) {
	var seq atomic.Int64
	start := time.Now()
	return run(conns, func(int) (int, time.Time, bool) {
		i := int(seq.Add(1)) - 1
		due := start.Add(time.Duration(float64(i) / rate * float64(time.Second)))
		if d := time.Until(due); d > 0 {
			time.Sleep(d)
		}
		return i, due, i < n
	}, send(next))
}

// send is the work of a run that sends one request from next.
func send(next Next) func(c *Conn, conn, i int) error {
	return func(c *Conn, conn, i int) error { return c.Do(next(conn, i)) }
}

// run drives the connections, one goroutine each; schedule hands out the
// next piece of work's number and the time it counts from, and do does it
// on the connection: each piece's latency is one of the result's.
func run(conns []*Conn, schedule func(conn int) (int, time.Time, bool), do func(c *Conn, conn, i int) error) (Result, error) {
	var failed atomic.Pointer[error]
	lats := make([][]time.Duration, len(conns))
	var wg sync.WaitGroup
	start := time.Now()
	for ci, c := range conns {
		wg.Go(func() {
			for failed.Load() == nil {
				i, from, ok := schedule(ci)
				if !ok {
					return
				}
				if err := do(c, ci, i); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				lats[ci] = append(lats[ci], time.Since(from))
			}
		})
	}
	wg.Wait()
	res := Result{Latencies: slices.Concat(lats...), Took: time.Since(start)}
	slices.Sort(res.Latencies)
	if err := failed.Load(); err != nil {
		return res, *err
	}
	return res, nil
}

// DialN opens n connections to addr; close them with CloseAll.
func DialN(addr string, n int) ([]*Conn, error) {
	conns := make([]*Conn, 0, n)
	for range n {
		c, err := Dial(addr)
		if err != nil {
			return nil, errors.Join(err, CloseAll(conns))
		}
		conns = append(conns, c)
	}
	return conns, nil
}

// CloseAll closes conns.
func CloseAll(conns []*Conn) error {
	var errs []error
	for _, c := range conns {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}

// B is the part of a testing.B the benchmark helpers use.
type B interface {
	Helper()
	Fatal(args ...any)
	Log(args ...any)
	Cleanup(func())
	ReportMetric(n float64, unit string)
}

// DialFor opens n connections to the server at base ("http://host:port")
// for a benchmark, and closes them when it ends.
func DialFor(b B, base string, n int) []*Conn {
	b.Helper()
	conns, err := DialN(strings.TrimPrefix(base, "http://"), n)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := CloseAll(conns); err != nil {
			b.Log(err)
		}
	})
	return conns
}

// Report reports the rate of res as rateUnit, with its median and 99th
// percentile latencies in milliseconds.
func (r Result) Report(b B, rateUnit string) {
	b.ReportMetric(r.Rate(), rateUnit)
	b.ReportMetric(r.Percentile(0.50), "p50-ms")
	b.ReportMetric(r.Percentile(0.99), "p99-ms")
}
