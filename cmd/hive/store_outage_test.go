package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hive/events"
	"hive/events/pgstore/pgtest"
	"hive/projections"
)

// Outage test knobs: how many clients register agents, how many
// registrations must be acknowledged before the outage and after it, and
// how many refusals seen during it.
const (
	outageClients   = 8
	outageAckBefore = 100
	outageAckAfter  = 100
	outageRefusals  = 20
	outagePatience  = 30 * time.Second
)

// TestPostgresRestartUnderLoad stops PostgreSQL under a running Hive while
// clients register agents and simulated agents work a run, then starts it
// again. Every registration is answered 201 or 503 with Retry-After,
// never anything else; /healthz stays up and /readyz says the store is out
// of reach; once PostgreSQL is back Hive takes commands again by itself,
// the run started before the outage completes, and every follower of the
// log resumes where it was: every acknowledged agent is listed once, the
// read models reach the head, the relay publishes each event once, and a
// live stream opened before the outage carries the changes made after it.
// The store then holds every acknowledged event, once, with its chains
// intact.
func TestPostgresRestartUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("stops and starts a PostgreSQL server under load; skipped with -short")
	}
	pg := pgtest.Start(t)
	st := testStore{url: pg.URL()}
	logs := newLockedBuffer()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("hive's log:\n%s", logs)
		}
	})
	dataDir := t.TempDir()
	s, stop := launch(t, st.in(t, settings{dataDir: dataDir, heartbeatTimeout: time.Minute, timerInterval: 10 * time.Millisecond}),
		slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})))
	changes := followAgentChanges(t, s)
	swarmID, run := startTwentySteps(t, s)
	work, stopWork := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	defer func() { stopWork(); workers.Wait() }()
	for _, id := range run.agents {
		workers.Go(func() { s.work(work, id, run.added) })
	}
	load := startRegistering(t, s)

	// The run waits at its approval gate, approved only after the outage.
	load.await(t, "acknowledged before the outage", func(c outageCounts) bool { return c.acked >= outageAckBefore })
	s.waitProgress(t, runID(run.id), 3)
	pg.Stop()
	before := load.counts()
	load.await(t, "refused during the outage", func(c outageCounts) bool { return c.refused >= before.refused+outageRefusals })
	checkProbesDuringOutage(t, s)
	pg.Start()
	restarted := time.Now()
	during := load.counts()
	load.await(t, "acknowledged after the outage", func(c outageCounts) bool { return c.acked >= during.acked+outageAckAfter })
	t.Logf("commands taken again %v after PostgreSQL restarted", time.Since(restarted).Round(time.Millisecond))
	acked, attempted := load.stop()
	t.Logf("%d registrations acknowledged, %d refused with 503, of %d sent", len(acked), load.counts().refused, len(attempted))

	workers.Go(func() { s.operate(work, run.id) })
	s.waitStatus(t, run.id, "completed")
	stopWork()
	workers.Wait()
	probe := registerAgent(t, s, "after-the-outage", "code")
	acked["after-the-outage"] = probe
	for i := range run.agents {
		attempted[fmt.Sprint("sim-", i)] = true
	}
	attempted["after-the-outage"] = true

	store := st.open(t, dataDir)
	waitFollowersAtHead(t, s, store)
	listed := checkAgents(t, s.getAuthorized, acked, attempted)
	changes.check(t, acked)
	changes.close() // a live stream would hold up the server's stop
	stop()
	checkEventStore(t, store, listed)
	checkStepsDoneOnce(t, store, run.id, swarmID, 20)
}

// outageCounts are the answers the registering clients got so far.
type outageCounts struct{ acked, refused int }

// registering is clients registering agents until stopped: each answer is
// 201 (acknowledged) or 503 with Retry-After (refused); any other answer
// fails the test.
type registering struct {
	mu        sync.Mutex
	acked     map[string]string // name → id
	attempted map[string]bool
	refused   int
	stopped   chan struct{}
	wg        sync.WaitGroup
}

func startRegistering(t *testing.T, s *sim) *registering {
	t.Helper()
	r := &registering{acked: map[string]string{}, attempted: map[string]bool{}, stopped: make(chan struct{})}
	client := &http.Client{Timeout: outagePatience}
	for c := range outageClients {
		r.wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-r.stopped:
					return
				default:
				}
				r.register(t, s, client, fmt.Sprintf("outage-c%d-%06d", c, i))
			}
		})
	}
	t.Cleanup(func() { r.stop() })
	return r
}

// register registers one agent named name and records the answer.
func (r *registering) register(t *testing.T, s *sim, client *http.Client, name string) {
	r.mu.Lock()
	r.attempted[name] = true
	r.mu.Unlock()
	body := fmt.Sprintf(`{"name":%q,"capabilities":["code"],"max_concurrency":1}`, name)
	req, err := http.NewRequest(http.MethodPost, *s.url.Load()+"/v1/agents", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return
	}
	req.Header.Set("Content-Type", "application/json")
	s.authorize(req)
	resp, err := client.Do(req)
	if err != nil {
		t.Errorf("POST /v1/agents %q: %v", name, err)
		return
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Errorf("POST /v1/agents %q: read the answer: %v", name, err)
		return
	}
	var a struct{ ID string }
	switch {
	case resp.StatusCode == http.StatusCreated && json.Unmarshal(raw, &a) == nil && a.ID != "":
		r.mu.Lock()
		r.acked[name] = a.ID
		r.mu.Unlock()
	case resp.StatusCode == http.StatusServiceUnavailable && resp.Header.Get("Retry-After") != "" &&
		strings.Contains(string(raw), "urn:hive:problem:unavailable"):
		r.mu.Lock()
		r.refused++
		r.mu.Unlock()
	default:
		t.Errorf("POST /v1/agents %q: %d (Retry-After %q) %s; want 201, or 503 with Retry-After", name, resp.StatusCode, resp.Header.Get("Retry-After"), raw)
	}
}

func (r *registering) counts() outageCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	return outageCounts{acked: len(r.acked), refused: r.refused}
}

// await polls until cond holds of the counts, failing the test after
// outagePatience.
func (r *registering) await(t *testing.T, what string, cond func(outageCounts) bool) {
	t.Helper()
	deadline := time.Now().Add(outagePatience)
	for c := r.counts(); !cond(c); c = r.counts() {
		if time.Now().After(deadline) || t.Failed() {
			t.Fatalf("registrations %s: not enough after %v: %+v", what, outagePatience, c)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// stop stops the clients and returns the registrations acknowledged and
// the names sent.
func (r *registering) stop() (acked map[string]string, attempted map[string]bool) {
	select {
	case <-r.stopped:
	default:
		close(r.stopped)
	}
	r.wg.Wait()
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.acked, r.attempted
}

// checkProbesDuringOutage checks the probes while the store is out of
// reach: the process is alive (healthz), but not ready to serve.
func checkProbesDuringOutage(t *testing.T, s *sim) {
	t.Helper()
	if code, err := s.call(http.MethodGet, "/healthz", nil, nil); code != http.StatusOK {
		t.Errorf("GET /healthz during the outage: %d %v, want 200", code, err)
	}
	code, err := s.call(http.MethodGet, "/readyz", nil, nil)
	if code != http.StatusServiceUnavailable || err == nil || !strings.Contains(err.Error(), "event store") {
		t.Errorf("GET /readyz during the outage: %d %v, want 503 saying the event store cannot be reached", code, err)
	}
}

// waitFollowersAtHead waits until every follower of the log has reached
// the store's head, which has stopped moving: each read model (GET
// /readyz's lag) and the relay (its published events, counted from the
// empty store the server started on, are as many as the store holds:
// none skipped, none twice).
func waitFollowersAtHead(t *testing.T, s *sim, store events.Store) {
	t.Helper()
	deadline := time.Now().Add(outagePatience)
	for {
		head, err := store.Head(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		published := publishedEvents(t, s)
		behind := readModelsBehind(t, s, head)
		if published > head {
			t.Fatalf("the relay published %d events; the store holds %d", published, head)
		}
		if published == head && behind == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("followers not at the head (%d) after %v: relay at %d; %s", head, outagePatience, published, behind)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// readModelsBehind says which read models are short of head, "" if none.
func readModelsBehind(t *testing.T, s *sim, head uint64) string {
	t.Helper()
	var ready struct {
		Lag []projections.Lag `json:"lag"`
	}
	if code, err := s.call(http.MethodGet, "/readyz", nil, &ready); code != http.StatusOK {
		return fmt.Sprintf("not ready: %v", err)
	}
	var behind []string
	for _, l := range ready.Lag {
		if l.Position < head || l.Error != "" {
			behind = append(behind, fmt.Sprintf("%s at %d %s", l.Projection, l.Position, l.Error))
		}
	}
	return strings.Join(behind, ", ")
}

// publishedEvents reads hive_bus_events_published_total from /metrics.
func publishedEvents(t *testing.T, s *sim) uint64 {
	t.Helper()
	resp, err := s.getAuthorized("/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "hive_bus_events_published_total "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("hive_bus_events_published_total %q: %v", v, err)
			}
			return uint64(n)
		}
	}
	t.Fatalf("no hive_bus_events_published_total in /metrics (%v)", sc.Err())
	return 0
}

// agentChanges are the changes of agents a live stream carried.
type agentChanges struct {
	mu      sync.Mutex
	last    uint64          // position of the last change
	seen    map[string]int  // agent id → changes
	keys    map[string]bool // the changes seen, by agent and position
	dupes   []string
	resyncs int
	arrived chan struct{} // signalled at each change
	body    io.Closer     // the stream's
}

// followAgentChanges opens GET /v1/live on the agents topic and records
// its changes until the test ends.
func followAgentChanges(t *testing.T, s *sim) *agentChanges {
	t.Helper()
	resp, stream := openLive(t, s, projections.TopicAgents, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/live: %d", resp.StatusCode)
	}
	a := &agentChanges{seen: map[string]int{}, keys: map[string]bool{}, arrived: make(chan struct{}, 1), body: resp.Body}
	go func() {
		for e := range stream {
			a.add(e)
		}
	}()
	return a
}

// close closes the stream.
func (a *agentChanges) close() { _ = a.body.Close() }

func (a *agentChanges) add(e sseEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	switch e.name {
	case "resync":
		a.resyncs++
	case "change":
		var ch projections.Change
		if json.Unmarshal([]byte(e.data), &ch) != nil {
			return
		}
		// The changes of one batch of events share its last position.
		key := fmt.Sprintf("%s at %d", ch.ID, ch.Position)
		if ch.Position < a.last || a.keys[key] {
			a.dupes = append(a.dupes, fmt.Sprintf("%s after %d", key, a.last))
		}
		a.last, a.keys[key] = ch.Position, true
		a.seen[ch.ID]++
		select {
		case a.arrived <- struct{}{}:
		default:
		}
	}
}

// check waits until the stream has carried a change of every agent of
// acked (name → id), and checks that it went back in the log never.
func (a *agentChanges) check(t *testing.T, acked map[string]string) {
	t.Helper()
	deadline := time.After(outagePatience)
	for {
		a.mu.Lock()
		var missing []string
		for name, id := range acked {
			if a.seen[id] == 0 {
				missing = append(missing, name)
			}
		}
		dupes, resyncs := a.dupes, a.resyncs
		a.mu.Unlock()
		if len(dupes) > 0 || resyncs > 0 {
			t.Fatalf("the live stream went back: %d resyncs, changes again: %v", resyncs, dupes)
		}
		if len(missing) == 0 {
			return
		}
		select {
		case <-a.arrived:
		case <-deadline:
			t.Fatalf("the live stream carried no change of %d acknowledged agents in %v, e.g. %v", len(missing), outagePatience, firstKeysOf(missing, 5))
		}
	}
}

// firstKeysOf returns at most n of names.
func firstKeysOf(names []string, n int) []string {
	return names[:min(n, len(names))]
}
