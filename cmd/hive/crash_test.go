package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hive/actors"
	"hive/actors/agent"
	"hive/events"
)

var crashSeed = flag.Uint64("crash.seed", 0, "seed of the kill delays of TestKillDuringRegistrationsLosesNoAcknowledgedAgent; 0 picks one from the clock")

const (
	crashRounds    = 2
	crashClients   = 32
	crashMinDelay  = 300 * time.Millisecond
	crashMaxDelay  = 800 * time.Millisecond
	readyTimeout   = 10 * time.Second
	stopTimeout    = 15 * time.Second
	requestTimeout = 5 * time.Second
)

// TestKillDuringRegistrationsLosesNoAcknowledgedAgent kills `hive serve`
// with SIGKILL while clients register agents, twice, and checks after each
// restart on the same store and data dir that every registration answered
// 201 survived exactly once, then that the event store's log and hash
// chains are intact; on each store.
func TestKillDuringRegistrationsLosesNoAcknowledgedAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("builds hive and kills it mid-load; skipped with -short")
	}
	bin := buildHive(t)
	forEachStore(t, func(t *testing.T, st testStore) {
		dataDir := t.TempDir()
		rng := killRand(t)

		acked := make(map[string]string) // name → id, over every round
		attempted := make(map[string]bool)
		for round := 1; round <= crashRounds; round++ {
			srv := startServer(t, bin, dataDir, fmt.Sprintf("round-%d", round), st.flags()...)
			waitReady(t, srv)
			checkAgents(t, srv.get, acked, attempted)
			delay := crashMinDelay + time.Duration(rng.Int64N(int64(crashMaxDelay-crashMinDelay)))
			roundAcked, roundAttempted := registerUntilKilled(t, srv, round, delay)
			t.Logf("round %d: killed after %v; %d registrations acknowledged of %d sent", round, delay, len(roundAcked), len(roundAttempted))
			if len(roundAcked) == 0 {
				t.Fatalf("round %d: no registration was acknowledged before the kill", round)
			}
			for name, id := range roundAcked {
				acked[name] = id
			}
			for _, name := range roundAttempted {
				attempted[name] = true
			}
		}
		srv := startServer(t, bin, dataDir, "final", st.flags()...)
		waitReady(t, srv)
		listed := checkAgents(t, srv.get, acked, attempted)
		stopServer(t, srv)
		checkEventStore(t, st.open(t, dataDir), listed)
	})
}

// killRand returns the random source of a test's kill moments, seeded by
// -crash.seed or, if that is 0, the clock; the seed is logged so that a
// failure can be replayed.
func killRand(t *testing.T) *rand.Rand {
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill moments seeded with -crash.seed=%d", seed)
	return rand.New(rand.NewPCG(seed, seed))
}

// childLog creates the log file of a child process (what, e.g. "hive
// serve", named name), printed if the test fails. The caller hands it to
// the child and closes its own descriptor.
func childLog(t *testing.T, what, name string) *os.File {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("%s %s output:\n%s", what, name, out)
		}
	})
	return logFile
}

// built is the hive binary the tests run, built once per test process (on
// first use) into a temporary directory that TestMain removes.
var built struct {
	once sync.Once
	dir  string
	err  error
}

// buildHive returns this package's binary, building it the first time.
func buildHive(t *testing.T) string {
	t.Helper()
	built.once.Do(func() {
		if built.dir, built.err = os.MkdirTemp("", "hive-bin-"); built.err != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", filepath.Join(built.dir, "hive"), ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return filepath.Join(built.dir, "hive")
}

// hiveServer is a running `hive serve` process.
type hiveServer struct {
	cmd     *exec.Cmd
	url     string
	dataDir string
	// token is the admin token, read from the data dir once the server is ready.
	token string
	// logPath is the file holding the process's output.
	logPath string
	client  *http.Client
	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // set before exited is closed
}

// startServer starts `hive serve` with flags on a free loopback port over
// dataDir, logging to a file that is printed if the test fails. The process
// is killed at cleanup if it is still running.
func startServer(t *testing.T, bin, dataDir, name string, flags ...string) *hiveServer {
	t.Helper()
	return startServerAt(t, bin, dataDir, name, freeAddr(t), flags...)
}

// startServerAt is startServer on addr, so that a restarted server is found
// where its clients and workers left it.
func startServerAt(t *testing.T, bin, dataDir, name, addr string, flags ...string) *hiveServer {
	t.Helper()
	logFile := childLog(t, "hive serve", name)
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--data-dir", dataDir}, flags...)...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	err := cmd.Start()
	logFile.Close() // the child has its own descriptor
	if err != nil {
		t.Fatalf("start hive serve: %v", err)
	}
	s := &hiveServer{cmd: cmd, url: "http://" + addr, dataDir: dataDir, logPath: logFile.Name(), client: newClient(), exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill() // fails harmlessly if it has exited
		<-s.exited
		s.client.CloseIdleConnections()
	})
	return s
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func newClient() *http.Client {
	return &http.Client{
		Timeout:   requestTimeout,
		Transport: &http.Transport{MaxIdleConnsPerHost: crashClients, MaxConnsPerHost: crashClients},
	}
}

// waitReady polls /readyz until it answers 200, failing if the server exits
// or stays unready for readyTimeout.
func waitReady(t *testing.T, s *hiveServer) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if ready(s) {
			s.token = adminToken(t, s.dataDir)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("hive serve at %s not ready after %v", s.url, readyTimeout)
		}
		select {
		case <-s.exited:
			t.Fatalf("hive serve exited before it was ready: %v", s.waitErr)
		case <-tick.C:
		}
	}
}

// adminToken reads the admin token that the first start wrote into dataDir.
func adminToken(t testing.TB, dataDir string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dataDir, adminTokenFile))
	if err != nil {
		t.Fatalf("admin token: %v", err)
	}
	return strings.TrimSpace(string(raw))
}

// getter sends an authenticated GET to a server: hiveServer.get or
// sim.getAuthorized.
type getter func(path string) (*http.Response, error)

// get sends an authenticated GET.
func (s *hiveServer) get(path string) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodGet, s.url+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+s.token)
	return s.client.Do(req)
}

func ready(s *hiveServer) bool {
	resp, err := s.client.Get(s.url + "/readyz")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// kill sends SIGKILL to the server and waits for it to die.
func (s *hiveServer) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("kill hive serve: %v", err)
	}
	<-s.exited
}

// stopServer sends SIGTERM and waits for a clean exit.
func stopServer(t *testing.T, s *hiveServer) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("signal hive serve: %v", err)
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			t.Fatalf("hive serve did not exit cleanly on SIGTERM: %v", s.waitErr)
		}
	case <-time.After(stopTimeout):
		t.Fatalf("hive serve still running %v after SIGTERM", stopTimeout)
	}
}

// registerUntilKilled runs crashClients clients registering fresh names on
// s, kills s after delay with the load in full flight, and returns the
// registrations answered 201 (name → id) and every name sent.
func registerUntilKilled(t *testing.T, s *hiveServer, round int, delay time.Duration) (acked map[string]string, attempted []string) {
	t.Helper()
	acked = make(map[string]string)
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for c := range crashClients {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				name := fmt.Sprintf("crash-r%d-c%02d-%06d", round, c, i)
				mu.Lock()
				attempted = append(attempted, name)
				mu.Unlock()
				if id, ok := post(t, s, name); ok {
					mu.Lock()
					acked[name] = id
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(delay) // the load runs meanwhile: the kill lands mid-flight
	s.kill(t)
	close(stop)
	wg.Wait()
	return acked, attempted
}

// post registers an agent named name. It reports the agent's id and true
// on 201, and false when the server gave no answer; any other answer fails
// the test.
func post(t *testing.T, s *hiveServer, name string) (id string, ok bool) {
	t.Helper()
	body := fmt.Sprintf(`{"name":%q,"capabilities":["code"],"max_concurrency":1}`, name)
	req, err := http.NewRequest(http.MethodPost, s.url+"/v1/agents", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := s.client.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", false // killed while the answer was on its way: not acknowledged
	}
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("POST /v1/agents %q: status %d: %s", name, resp.StatusCode, raw)
		return "", false
	}
	var a struct{ ID, Name string }
	if err := json.Unmarshal(raw, &a); err != nil || a.ID == "" || a.Name != name || resp.Header.Get("Hive-Position") == "" {
		t.Errorf("POST /v1/agents %q: 201 with body %s, Hive-Position %q (decode: %v)", name, raw, resp.Header.Get("Hive-Position"), err)
		return "", false
	}
	return a.ID, true
}

// listedAgent is the part of an agent's JSON the test checks.
type listedAgent struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// checkAgents checks that every acknowledged agent is served under its id
// with its name, and that the list holds each agent once, every one of
// them a name that was sent. It returns the listed agents, id → name.
func checkAgents(t *testing.T, get getter, acked map[string]string, attempted map[string]bool) map[string]string {
	t.Helper()
	for name, id := range acked {
		var a listedAgent
		if status := getJSON(t, get, "/v1/agents/"+id, &a); status != http.StatusOK || a.Name != name {
			t.Errorf("acknowledged agent %q (%s) lost: GET answered %d with name %q", name, id, status, a.Name)
		}
	}
	var list struct{ Agents []listedAgent }
	for path := "/v1/agents?limit=1000"; path != ""; {
		var page struct {
			Agents     []listedAgent
			NextCursor string `json:"next_cursor"`
		}
		if status := getJSON(t, get, path, &page); status != http.StatusOK {
			t.Fatalf("GET %s: status %d", path, status)
		}
		list.Agents = append(list.Agents, page.Agents...)
		path = ""
		if page.NextCursor != "" {
			path = "/v1/agents?limit=1000&cursor=" + page.NextCursor
		}
	}
	byID := make(map[string]string, len(list.Agents))
	byName := make(map[string]string, len(list.Agents))
	for _, a := range list.Agents {
		if _, dup := byID[a.ID]; dup {
			t.Errorf("agent id %s listed twice", a.ID)
		}
		if _, dup := byName[a.Name]; dup {
			t.Errorf("agent name %q listed twice", a.Name)
		}
		if !attempted[a.Name] {
			t.Errorf("agent %q (%s) listed but never registered", a.Name, a.ID)
		}
		byID[a.ID], byName[a.Name] = a.Name, a.ID
	}
	for name, id := range acked {
		if byName[name] != id {
			t.Errorf("acknowledged agent %q (%s) listed as %q", name, id, byName[name])
		}
	}
	t.Logf("%d agents listed, %d of them acknowledged", len(list.Agents), len(acked))
	return byID
}

// getJSON gets path and decodes a 200 answer into v, returning the status.
func getJSON(t *testing.T, get getter, path string, v any) int {
	t.Helper()
	resp, err := get(path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", path, err)
	}
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(bytes.NewReader(raw)).Decode(v); err != nil {
			t.Fatalf("GET %s: decode %s: %v", path, raw, err)
		}
	}
	return resp.StatusCode
}

// checkEventStore checks the stopped server's store: the global log is
// dense with no event id twice, every stream's hash chain verifies, and
// the agent streams are exactly the listed agents.
func checkEventStore(t *testing.T, store events.Store, listed map[string]string) {
	t.Helper()
	ctx := t.Context()
	perStream := readLog(ctx, t, store)
	agentStreams := 0
	for stream, ids := range perStream {
		envs := readStream(ctx, t, store, stream)
		if err := events.VerifyChain(envs); err != nil {
			t.Errorf("hash chain: %v", err)
		}
		if got := eventIDs(envs); !slices.Equal(got, ids) {
			t.Errorf("stream %q: read forward %v, in the global log %v", stream, got, ids)
		}
		if strings.HasPrefix(stream, agent.Kind+"-") {
			agentStreams++
		}
	}
	for id, name := range listed {
		if _, ok := perStream[actors.Ref{Kind: agent.Kind, ID: id}.Stream()]; !ok {
			t.Errorf("listed agent %q (%s) has no stream", name, id)
		}
	}
	if agentStreams != len(listed) {
		t.Errorf("%d agent streams in the store, %d agents listed", agentStreams, len(listed))
	}
}

// readLog reads the whole global log, checking that positions are dense
// and event ids unique, and returns the event ids of each stream.
func readLog(ctx context.Context, t *testing.T, store events.Store) map[string][]string {
	t.Helper()
	perStream := make(map[string][]string)
	seen := make(map[string]uint64) // event id → position
	var after uint64
	for {
		page, err := store.ReadAll(ctx, after, events.MaxReadLimit)
		if err != nil {
			t.Fatalf("read all after %d: %v", after, err)
		}
		if len(page) == 0 {
			break
		}
		for _, e := range page {
			if e.Position != after+1 {
				t.Fatalf("global log: position %d follows %d", e.Position, after)
			}
			if at, dup := seen[e.ID.String()]; dup {
				t.Errorf("event id %s at positions %d and %d", e.ID, at, e.Position)
			}
			seen[e.ID.String()] = e.Position
			perStream[e.Stream] = append(perStream[e.Stream], e.ID.String())
			after = e.Position
		}
	}
	t.Logf("event store: %d events in %d streams", after, len(perStream))
	return perStream
}

// readStream reads stream forward from its first event, page by page.
func readStream(ctx context.Context, t *testing.T, store events.Store, stream string) []events.Envelope {
	t.Helper()
	var out []events.Envelope
	for {
		page, err := store.ReadStream(ctx, stream, uint64(len(out))+1, events.Forward, events.MaxReadLimit)
		if err != nil {
			t.Fatalf("read stream %q from %d: %v", stream, len(out)+1, err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
	}
}

func eventIDs(envs []events.Envelope) []string {
	ids := make([]string, len(envs))
	for i := range envs {
		ids[i] = envs[i].ID.String()
	}
	return ids
}
