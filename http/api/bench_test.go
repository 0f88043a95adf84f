package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"

	"hive/actors/token"
	"hive/http/api"
	"hive/http/loadgen"
)

// benchConns is how many clients send at once, each on its own keep-alive
// connection.
const benchConns = 64

// BenchmarkRegisterAgentHTTP measures POST /v1/agents end to end over
// loopback TCP against the real stack, tokens on: gin, authentication, the
// entity actors, pebble with an fsync per group commit, and the read model
// the response waits for. Every op is a durable registration of a new
// agent.
func BenchmarkRegisterAgentHTTP(b *testing.B) {
	s := startStackWith(b, b.TempDir(), api.Config{Auth: api.AuthConfig{RateLimit: 1e9}})
	benchClosed(b, s.url, "cmds/s", func(run, _, i int) loadgen.Request {
		return loadgen.Request{Method: "POST", Path: "/v1/agents", Bearer: s.admin, Want: http.StatusCreated,
			Body: fmt.Appendf(nil, `{"name":"bench-%d-agent-%d","capabilities":["code"],"max_concurrency":1}`, run, i)}
	})
}

// BenchmarkHeartbeatHTTP measures authenticated heartbeats: 64 agents, each
// heartbeating with its own agent token on its own connection. Most
// heartbeats leave the recorded deadline alone (see agent.Heartbeat), so
// this is the cost of the API, authentication and one actor round trip.
func BenchmarkHeartbeatHTTP(b *testing.B) {
	s := startStackWith(b, b.TempDir(), api.Config{Auth: api.AuthConfig{RateLimit: 1e9}})
	ids, tokens := heartbeaters(b, s)
	benchClosed(b, s.url, "heartbeats/s", func(_, conn, _ int) loadgen.Request {
		return loadgen.Request{Method: "POST", Path: "/v1/agents/" + ids[conn] + "/heartbeat", Bearer: tokens[conn], Want: http.StatusOK}
	})
}

// BenchmarkHeartbeatPacedHTTP sends the heartbeats of
// BenchmarkHeartbeatHTTP at a fixed 5,000 per second (half the target rate
// of 10,000 commands/s) and reports the latencies, measured from when each
// heartbeat was due.
func BenchmarkHeartbeatPacedHTTP(b *testing.B) {
	s := startStackWith(b, b.TempDir(), api.Config{Auth: api.AuthConfig{RateLimit: 1e9}})
	ids, tokens := heartbeaters(b, s)
	benchPaced(b, s.url, 5000, "heartbeats/s", func(conn, _ int) loadgen.Request {
		return loadgen.Request{Method: "POST", Path: "/v1/agents/" + ids[conn] + "/heartbeat", Bearer: tokens[conn], Want: http.StatusOK}
	})
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
	benchClosed(b, srv.URL, "req/s", func(run, _, i int) loadgen.Request {
		return loadgen.Request{Method: "POST", Path: "/v1/agents", Want: http.StatusCreated,
			Body: fmt.Appendf(nil, `{"name":"bench-%d-agent-%d","capabilities":["code"],"max_concurrency":1}`, run, i)}
	})
}

// benchClosed sends a warm-up round of benchConns requests and then b.N
// requests from benchConns connections, each sending as soon as it is
// answered, and reports the rate as rateUnit with the median and 99th
// percentile latencies. next gets the round (0 warm-up, 1 measured), the
// connection and the request's number.
func benchClosed(b *testing.B, base, rateUnit string, next func(run, conn, i int) loadgen.Request) {
	conns := loadgen.DialFor(b, base, benchConns)
	if _, err := loadgen.Run(conns, benchConns, func(c, i int) loadgen.Request { return next(0, c, i) }); err != nil {
		b.Fatalf("warm-up: %v", err)
	}
	b.ResetTimer()
	res, err := loadgen.Run(conns, b.N, func(c, i int) loadgen.Request { return next(1, c, i) })
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	res.Report(b, rateUnit)
}

// benchPaced sends b.N requests from benchConns connections at rate per
// second and reports the rate reached and the latencies from when each
// request was due.
func benchPaced(b *testing.B, base string, rate float64, rateUnit string, next loadgen.Next) {
	conns := loadgen.DialFor(b, base, benchConns)
	b.ResetTimer()
	res, err := loadgen.Paced(conns, b.N, rate, next)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	res.Report(b, rateUnit)
}

// heartbeaters registers benchConns agents and returns their ids and agent
// tokens: connection i heartbeats as agent i.
func heartbeaters(b *testing.B, s *stack) (ids, tokens []string) {
	ids, tokens = make([]string, benchConns), make([]string, benchConns)
	for i := range ids {
		r := s.post(b, "/v1/agents", map[string]any{"name": fmt.Sprint("beater-", i)})
		ids[i] = r.body["id"].(string)
		tokens[i] = s.mint(token.RoleAgent, ids[i])
	}
	return ids, tokens
}
