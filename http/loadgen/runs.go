package loadgen

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Shape is the DAG of the runs a fleet's runs follow.
type Shape string

// Shapes of runs.
const (
	// Seq is a chain of steps, each depending on the one before.
	Seq Shape = "seq"
	// Fan is steps-1 independent steps and a last one that joins them.
	Fan Shape = "fan"
)

// Steps is the JSON array of the steps of a run of shape with n steps
// (at least 2), each needing the fleet's capability.
func (s Shape) Steps(n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":"s%d","capability":"noop"`, i)
		switch {
		case s == Seq && i > 0:
			fmt.Fprintf(&b, `,"depends_on":["s%d"]`, i-1)
		case s == Fan && i == n-1:
			b.WriteString(`,"depends_on":[`)
			for j := range n - 1 {
				if j > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, `"s%d"`, j)
			}
			b.WriteByte(']')
		}
		b.WriteByte('}')
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// RunsConfig is a load of workflow runs on a fleet.
type RunsConfig struct {
	// Starters is how many clients start runs, each on a connection of its
	// own; a client starts a run and waits for its end before it starts
	// its next one (default 64).
	Starters int
	// N is how many runs to start in all; Until, if not zero, ends the
	// load earlier: no run starts after it.
	N     int
	Until time.Time
	// Rate, if not 0, paces the starts at Rate runs per second in all,
	// each due at start + i/Rate; latencies then count from when the run
	// was due. 0 starts runs as fast as the starters' runs end.
	Rate float64
	// Shape and Steps are the runs' DAG (default Seq of 10 steps).
	Shape Shape
	Steps int
}

func (c *RunsConfig) setDefaults() {
	if c.Starters == 0 {
		c.Starters = 64
	}
	if c.Shape == "" {
		c.Shape = Seq
	}
	if c.Steps == 0 {
		c.Steps = 10
	}
}

// runWait is how long one read of a run waits for its end.
const runWait = "30s"

// Runs starts runs on the fleet's swarm as cfg says, each with the admin
// token, and waits for each to end (GET /v1/workflows/{id}?wait=): the
// result's latencies are whole runs, from start (or when due) to end. A
// run that ends other than completed is an error.
func (f *Fleet) Runs(cfg RunsConfig) (Result, error) {
	cfg.setDefaults()
	conns := make([]*Conn, 0, cfg.Starters)
	for range cfg.Starters {
		c, err := Dial(f.cfg.Addr)
		if err != nil {
			return Result{}, errors.Join(err, CloseAll(conns))
		}
		conns = append(conns, c)
	}
	body := fmt.Appendf(nil, `{"name":"load","swarm_id":%q,"steps":%s}`, f.swarmID, cfg.Shape.Steps(cfg.Steps))
	var seq atomic.Int64
	start := time.Now()
	schedule := func(int) (int, time.Time, bool) {
		i := int(seq.Add(1)) - 1
		due := time.Now()
		if cfg.Rate > 0 {
			due = start.Add(time.Duration(float64(i) / cfg.Rate * float64(time.Second)))
			time.Sleep(time.Until(due))
		}
		return i, due, i < cfg.N && (cfg.Until.IsZero() || time.Now().Before(cfg.Until))
	}
	res, err := run(conns, schedule, func(c *Conn, _, _ int) error { return f.oneRun(c, body) })
	return res, errors.Join(err, CloseAll(conns))
}

// oneRun starts a run with body and waits for its end.
func (f *Fleet) oneRun(c *Conn, body []byte) error {
	var run struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := c.DoJSON(Request{Method: "POST", Path: "/v1/workflows", Bearer: f.cfg.Token, Body: body, Want: http.StatusCreated}, &run); err != nil {
		return err
	}
	for {
		switch run.Status {
		case "completed":
			return nil
		case "failed", "cancelled", "budget_exhausted":
			return fmt.Errorf("run %s ended %s", run.ID, run.Status)
		}
		if err := f.Err(); err != nil {
			return err
		}
		if err := c.DoJSON(Request{Method: "GET", Path: "/v1/workflows/" + run.ID + "?wait=" + runWait, Bearer: f.cfg.Token, Want: http.StatusOK}, &run); err != nil {
			return err
		}
	}
}
