package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"hive/actors/agent"
	"hive/http/loadgen"
)

// ceilingRounds is how many times BenchmarkRegisterAgentCeilings takes
// turns between the three servers, so that a change of the shared
// machine's load falls on all three alike.
const ceilingRounds = 4

// BenchmarkRegisterAgentCeilings measures durable POST /v1/agents on the
// server as hive serve assembles it (every read model, the reactions
// router, the relay and the live hub running), tokens on, beside two
// ceilings measured in the same run with the same load generator and body:
// a bare gin handler that decodes the request and answers the same agent
// as JSON (HTTP and JSON alone), and the same handler writing each agent as
// one record and fsyncing it before it answers, one at a time, on the same
// disk as the event store (a store that spends one fsync per event). The
// three take turns, ceilingRounds times; each ceiling runs as long as the
// durable round before it. x-bare and x-fsync-ceiling divide the durable
// rate by each ceiling's. cpu-µs/cmd and bare-cpu-µs/req are the CPU time
// the process (server and load generator) spent per request in the
// durable and the bare rounds: what each request costs, whatever share of
// the machine the process got.
func BenchmarkRegisterAgentCeilings(b *testing.B) {
	s := startInProcess(b, time.Hour)
	bare := httptest.NewServer(bareRegistrar(nil))
	b.Cleanup(bare.Close)
	sink, err := newFsyncSink(filepath.Join(b.TempDir(), "fsync.log"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = sink.f.Close() })
	fsynced := httptest.NewServer(bareRegistrar(sink))
	b.Cleanup(fsynced.Close)

	durableConns := loadgen.DialFor(b, *s.url.Load(), benchConns)
	bareConns := loadgen.DialFor(b, bare.URL, benchConns)
	fsyncConns := loadgen.DialFor(b, fsynced.URL, benchConns)
	register := func(leg, bearer string) loadgen.Next {
		return func(_, i int) loadgen.Request {
			return loadgen.Request{Method: "POST", Path: "/v1/agents", Bearer: bearer, Want: http.StatusCreated,
				Body: fmt.Appendf(nil, `{"name":"%s-%d-%d","capabilities":["code"],"labels":{"zone":"a"},"max_concurrency":1}`, leg, b.N, i)}
		}
	}
	for _, conns := range [][]*loadgen.Conn{durableConns, bareConns, fsyncConns} {
		if _, err := loadgen.Run(conns, benchConns, register("warm", s.token)); err != nil {
			b.Fatalf("warm-up: %v", err)
		}
	}

	var durable, bareRes, fsyncRes loadgen.Result
	var durableCPU, bareCPU time.Duration
	b.ResetTimer()
	for round := range ceilingRounds {
		n := max(b.N/ceilingRounds, 1)
		if round == ceilingRounds-1 {
			n = max(b.N-(ceilingRounds-1)*(b.N/ceilingRounds), 1)
		}
		b.StartTimer()
		cpu := processCPU()
		res, err := loadgen.Run(durableConns, n, register(fmt.Sprint("durable-", round), s.token))
		durableCPU += processCPU() - cpu
		b.StopTimer()
		if err != nil {
			b.Fatal(err)
		}
		durable = merge(durable, res)
		took := res.Took
		cpu = processCPU()
		if res, err = loadgen.RunFor(bareConns, took, register(fmt.Sprint("bare-", round), "")); err != nil {
			b.Fatal(err)
		}
		bareCPU += processCPU() - cpu
		bareRes = merge(bareRes, res)
		if res, err = loadgen.RunFor(fsyncConns, took, register(fmt.Sprint("fsync-", round), "")); err != nil {
			b.Fatal(err)
		}
		fsyncRes = merge(fsyncRes, res)
	}
	durable.Report(b, "cmds/s")
	b.ReportMetric(bareRes.Rate(), "bare-req/s")
	b.ReportMetric(fsyncRes.Rate(), "fsync-req/s")
	b.ReportMetric(durable.Rate()/bareRes.Rate(), "x-bare")
	b.ReportMetric(durable.Rate()/fsyncRes.Rate(), "x-fsync-ceiling")
	b.ReportMetric(float64(durableCPU.Microseconds())/float64(len(durable.Latencies)), "cpu-µs/cmd")
	b.ReportMetric(float64(bareCPU.Microseconds())/float64(len(bareRes.Latencies)), "bare-cpu-µs/req")
}

// processCPU is the CPU time the process has used so far, in user and
// system mode: the server's and the load generator's alike.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// merge adds the requests and time of b to a, its latencies sorted.
func merge(a, b loadgen.Result) loadgen.Result {
	lats := append(a.Latencies, b.Latencies...)
	slices.Sort(lats)
	return loadgen.Result{Latencies: lats, Took: a.Took + b.Took}
}

// fsyncSink writes records to a file, one write and one fsync per record,
// one record at a time.
type fsyncSink struct {
	mu sync.Mutex
	f  *os.File
}

func newFsyncSink(path string) (*fsyncSink, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	return &fsyncSink{f: f}, nil
}

// write appends rec and fsyncs the file.
func (s *fsyncSink) write(rec []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write(rec); err != nil {
		return err
	}
	return s.f.Sync()
}

// bareRegistrar is a gin handler of POST /v1/agents that decodes the
// request as the API does and answers 201 with the agent as JSON, the
// shape of the API's answer; with a sink, it first writes that JSON to the
// sink, durably.
func bareRegistrar(sink *fsyncSink) http.Handler {
	r := gin.New()
	r.POST("/v1/agents", func(c *gin.Context) {
		var req struct {
			Name           string            `json:"name"`
			Capabilities   []string          `json:"capabilities"`
			Labels         map[string]string `json:"labels"`
			MaxConcurrency uint32            `json:"max_concurrency"`
		}
		if err := c.ShouldBindJSON(&req); err != nil {
			c.JSON(http.StatusBadRequest, gin.H{"detail": err.Error()})
			return
		}
		now := time.Now().UTC()
		a := agent.State{ID: agent.IDFor(req.Name), Name: req.Name, Capabilities: req.Capabilities, Labels: req.Labels,
			MaxConcurrency: req.MaxConcurrency, Status: agent.StatusIdle, RegisteredAt: now, Deadline: now.Add(time.Hour),
			Tasks: map[string]agent.Task{}, Version: 1}
		raw, err := json.Marshal(a)
		if err == nil && sink != nil {
			err = sink.write(append(raw, '\n'))
		}
		if err != nil {
			c.JSON(http.StatusInternalServerError, gin.H{"detail": err.Error()})
			return
		}
		c.Header("Location", "/v1/agents/"+a.ID)
		c.Data(http.StatusCreated, "application/json; charset=utf-8", raw)
	})
	return r
}
