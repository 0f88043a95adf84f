package api_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"hive/http/api"
)

// benchConns is how many clients post at once, each on its own keep-alive
// connection.
const benchConns = 64

// BenchmarkRegisterAgentHTTP measures POST /v1/agents end to end over
// loopback TCP against the real stack: gin, the entity actors, pebble with
// an fsync per group commit, and the read model the response waits for.
// Every op is a durable registration of a new agent.
func BenchmarkRegisterAgentHTTP(b *testing.B) {
	s := startStackWith(b, b.TempDir(), api.Config{Auth: api.AuthConfig{RateLimit: 1e9}})
	benchLoad(b, s.url, s.admin, "cmds/s")
}

// BenchmarkBareGinHTTP measures the same load against a gin handler that
// only decodes the body and answers 201: the ceiling of HTTP and JSON alone
// on this machine, measured the same way in the same run.
func BenchmarkBareGinHTTP(b *testing.B) {
	r := gin.New()
	r.POST("/v1/agents", func(c *gin.Context) {
		var req struct {
			Name           string   `json:"name"`
			Capabilities   []string `json:"capabilities"`
			MaxConcurrency int      `json:"max_concurrency"`
		}
		if err := c.ShouldBindJSON(&req); err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"detail": err.Error()})
			return
		}
		c.JSON(http.StatusCreated, gin.H{"id": req.Name, "name": req.Name, "status": "idle"})
	})
	srv := httptest.NewServer(r)
	b.Cleanup(srv.Close)
	benchLoad(b, srv.URL, "", "req/s")
}

// benchLoad posts b.N agent registrations with unique names to base from
// benchConns keep-alive connections, with bearer as their token if not empty, and reports the rate of 201s as
// rateUnit, with the median and 99th percentile latencies. Any other answer
// fails the benchmark. The load generator speaks minimal HTTP/1.1 itself, so
// that it takes as little of the machine's CPU from the server as it can.
func benchLoad(b *testing.B, base, bearer, rateUnit string) {
	addr := base[len("http://"):]
	conns := make([]*benchConn, benchConns)
	for i := range conns {
		c, err := dialBench(addr, bearer)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.conn.Close() })
		conns[i] = c
	}
	var seq atomic.Int64
	if _, _, err := benchRound(conns, &seq, b.N, benchConns); err != nil {
		b.Fatalf("warm-up: %v", err)
	}
	b.ResetTimer()
	lat, took, err := benchRound(conns, &seq, b.N, b.N)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/took.Seconds(), rateUnit)
	b.ReportMetric(benchPercentile(lat, 0.50), "p50-ms")
	b.ReportMetric(benchPercentile(lat, 0.99), "p99-ms")
}

// benchRound posts n registrations over conns, one goroutine per
// connection, and returns each one's latency and the round's wall time. It
// stops at the first error or answer other than 201.
func benchRound(conns []*benchConn, seq *atomic.Int64, id, n int) ([]time.Duration, time.Duration, error) {
	var left atomic.Int64
	left.Store(int64(n))
	var failed atomic.Pointer[error]
	lats := make([][]time.Duration, len(conns))
	var wg sync.WaitGroup
	start := time.Now()
	for i, c := range conns {
		lats[i] = make([]time.Duration, 0, n/len(conns)+1)
		wg.Go(func() {
			for left.Add(-1) >= 0 && failed.Load() == nil {
				name := fmt.Sprintf("bench-%d-agent-%d", id, seq.Add(1))
				t0 := time.Now()
				if err := c.post(name); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				lats[i] = append(lats[i], time.Since(t0))
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if err := failed.Load(); err != nil {
		return nil, took, *err
	}
	return slices.Concat(lats...), took, nil
}

// benchConn is one keep-alive HTTP/1.1 connection of the load generator.
type benchConn struct {
	conn net.Conn
	auth string // the Authorization header line, or ""
	r    *bufio.Reader
	req  []byte
	body []byte
}

func dialBench(addr, bearer string) (*benchConn, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &benchConn{conn: conn, r: bufio.NewReaderSize(conn, 16<<10)}
	if bearer != "" {
		c.auth = "Authorization: Bearer " + bearer + "\r\n"
	}
	return c, nil
}

// post registers name and reads the answer, failing on any status but 201.
func (c *benchConn) post(name string) error {
	c.body = fmt.Appendf(c.body[:0], `{"name":%q,"capabilities":["code"],"max_concurrency":1}`, name)
	c.req = fmt.Appendf(c.req[:0], "POST /v1/agents HTTP/1.1\r\nHost: bench\r\n%sContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", c.auth, len(c.body))
	c.req = append(c.req, c.body...)
	if _, err := c.conn.Write(c.req); err != nil {
		return err
	}
	status, err := c.r.ReadSlice('\n')
	if err != nil {
		return err
	}
	created := bytes.HasPrefix(status, []byte("HTTP/1.1 201 "))
	length := -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(line) <= 2 {
			break
		}
		if k, v, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte("Content-Length")) {
			if length, err = strconv.Atoi(string(bytes.TrimSpace(v))); err != nil {
				return err
			}
		}
	}
	if length < 0 {
		return fmt.Errorf("answer without Content-Length: %q", status)
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(c.r, body); err != nil {
		return err
	}
	if !created {
		return fmt.Errorf("POST /v1/agents: %s%s", bytes.TrimSpace(status), body)
	}
	return nil
}

// benchPercentile returns the q-quantile of sorted latencies in milliseconds.
func benchPercentile(sorted []time.Duration, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return float64(sorted[max(i, 0)]) / float64(time.Millisecond)
}
