package loadgen

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// FleetConfig configures a Fleet.
type FleetConfig struct {
	// Addr is the server's "host:port"; Token is an admin token.
	Addr, Token string
	// Name names the fleet's swarm, and prefixes its agents' names; it
	// must be new to the server.
	Name string
	// Agents is how many no-op workers there are (default 8); each takes
	// up to Slots tasks at once (default 16).
	Agents, Slots int
}

func (c *FleetConfig) setDefaults() {
	if c.Agents == 0 {
		c.Agents = 8
	}
	if c.Slots == 0 {
		c.Slots = 16
	}
}

// pollWait is how long a worker's long poll waits for an assignment.
const pollWait = "10s"

// Fleet is a swarm of no-op workers on a Hive server: each agent
// long-polls its assignments on a connection of its own and completes
// every task at once, from Slots connections, with an empty output. The
// fleet's goroutines run until Close.
type Fleet struct {
	cfg     FleetConfig
	swarmID string
	// conns are every connection of the fleet, which Close closes.
	conns  []*Conn
	closed atomic.Bool
	failed atomic.Pointer[error]
	tasks  atomic.Uint64
	wg     sync.WaitGroup
}

// member is one of the fleet's agents.
type member struct {
	id, token string
}

// StartFleet creates the fleet's swarm and agents (each an agent token of
// its own) on the server and starts their workers.
func StartFleet(cfg FleetConfig) (*Fleet, error) {
	cfg.setDefaults()
	f := &Fleet{cfg: cfg}
	admin, err := f.dial()
	if err != nil {
		return nil, err
	}
	var sw struct {
		ID string `json:"id"`
	}
	err = admin.DoJSON(Request{Method: "POST", Path: "/v1/swarms", Bearer: cfg.Token, Want: http.StatusCreated,
		Body: fmt.Appendf(nil, `{"name":%q,"topology":"mesh"}`, cfg.Name)}, &sw)
	if err != nil {
		return nil, errors.Join(err, f.Close())
	}
	f.swarmID = sw.ID
	for i := range cfg.Agents {
		m, err := f.enlist(admin, fmt.Sprintf("%s-%d", cfg.Name, i))
		if err != nil {
			return nil, errors.Join(err, f.Close())
		}
		if err := f.startWorker(m); err != nil {
			return nil, errors.Join(err, f.Close())
		}
	}
	return f, nil
}

// SwarmID is the fleet's swarm.
func (f *Fleet) SwarmID() string { return f.swarmID }

// Tasks is how many tasks the fleet's workers completed.
func (f *Fleet) Tasks() uint64 { return f.tasks.Load() }

// Err is the first failure of a worker, if any: a worker that failed
// stops working.
func (f *Fleet) Err() error {
	if err := f.failed.Load(); err != nil {
		return *err
	}
	return nil
}

// Close stops the workers (closing their connections ends their polls)
// and waits for them.
func (f *Fleet) Close() error {
	f.closed.Store(true)
	err := CloseAll(f.conns)
	f.wg.Wait()
	return err
}

// dial opens one more connection of the fleet.
func (f *Fleet) dial() (*Conn, error) {
	c, err := Dial(f.cfg.Addr)
	if err != nil {
		return nil, err
	}
	f.conns = append(f.conns, c)
	return c, nil
}

// enlist registers the agent name, makes it a member of the swarm and
// mints an agent token of it.
func (f *Fleet) enlist(admin *Conn, name string) (member, error) {
	var ag struct {
		ID string `json:"id"`
	}
	err := admin.DoJSON(Request{Method: "POST", Path: "/v1/agents", Bearer: f.cfg.Token, Want: http.StatusCreated,
		Body: fmt.Appendf(nil, `{"name":%q,"capabilities":["noop"],"max_concurrency":%d}`, name, f.cfg.Slots)}, &ag)
	if err != nil {
		return member{}, err
	}
	err = admin.Do(Request{Method: "POST", Path: "/v1/swarms/" + f.swarmID + "/members", Bearer: f.cfg.Token, Want: http.StatusOK,
		Body: fmt.Appendf(nil, `{"agent_id":%q}`, ag.ID)})
	if err != nil {
		return member{}, err
	}
	var tok struct {
		Token string `json:"token"`
	}
	err = admin.DoJSON(Request{Method: "POST", Path: "/v1/tokens", Bearer: f.cfg.Token, Want: http.StatusCreated,
		Body: fmt.Appendf(nil, `{"role":"agent","agent_id":%q,"name":%q}`, ag.ID, name)}, &tok)
	return member{id: ag.ID, token: tok.Token}, err
}

// startWorker starts m's poller and its Slots completers.
func (f *Fleet) startWorker(m member) error {
	poll, err := f.dial()
	if err != nil {
		return err
	}
	todo := make(chan string, f.cfg.Slots)
	for range f.cfg.Slots {
		c, err := f.dial()
		if err != nil {
			close(todo)
			return err
		}
		f.wg.Go(func() { f.complete(m, c, todo) })
	}
	f.wg.Go(func() {
		defer close(todo)
		f.poll(m, poll, todo)
	})
	return nil
}

// poll long-polls m's assignments and hands each new one to the
// completers, until the fleet closes or fails.
func (f *Fleet) poll(m member, c *Conn, todo chan<- string) {
	var work struct {
		Assignments []struct {
			TaskID string `json:"task_id"`
		} `json:"assignments"`
		Cursor uint64 `json:"cursor"`
	}
	// handed are the tasks in flight handed to the completers already.
	handed := map[string]bool{}
	for f.failed.Load() == nil {
		err := c.DoJSON(Request{Method: "GET", Path: fmt.Sprintf("/v1/agents/%s/assignments?wait=%s&after=%d", m.id, pollWait, work.Cursor),
			Bearer: m.token, Want: http.StatusOK}, &work)
		if unavailable(err) {
			time.Sleep(unavailablePause)
			continue
		}
		if err != nil {
			f.fail(err)
			return
		}
		inFlight := make(map[string]bool, len(work.Assignments))
		for _, a := range work.Assignments {
			inFlight[a.TaskID] = true
			if !handed[a.TaskID] {
				todo <- a.TaskID
			}
		}
		handed = inFlight
	}
}

// complete completes the tasks handed to it, as m.
func (f *Fleet) complete(m member, c *Conn, todo <-chan string) {
	body := fmt.Appendf(nil, `{"agent_id":%q,"output":{}}`, m.id)
	for task := range todo {
		if f.failed.Load() != nil {
			continue
		}
		err := c.Do(Request{Method: "POST", Path: "/v1/tasks/" + task + "/complete", Bearer: m.token, Body: body, Want: http.StatusOK})
		for unavailable(err) {
			time.Sleep(unavailablePause)
			err = c.Do(Request{Method: "POST", Path: "/v1/tasks/" + task + "/complete", Bearer: m.token, Body: body, Want: http.StatusOK})
		}
		if err != nil {
			f.fail(err)
			continue
		}
		f.tasks.Add(1)
	}
}

// fail records a worker's failure, unless the fleet is closing (which
// ends the polls by closing their connections).
func (f *Fleet) fail(err error) {
	if !f.closed.Load() {
		f.failed.CompareAndSwap(nil, &err)
	}
}

// unavailablePause is how long a worker waits after a 503 (a read model
// behind, a server busy) before it asks again, as a worker would.
const unavailablePause = 50 * time.Millisecond

// unavailable reports whether err is a 503 answer.
func unavailable(err error) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == http.StatusServiceUnavailable
}

// DoJSON is Do, decoding the answer's body into out.
func (c *Conn) DoJSON(r Request, out any) error {
	if err := c.Do(r); err != nil {
		return err
	}
	if err := json.Unmarshal(c.body, out); err != nil {
		return fmt.Errorf("%s %s: %w", r.Method, r.Path, err)
	}
	return nil
}
