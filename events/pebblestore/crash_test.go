package pebblestore_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"hive/events"
	"hive/events/pebblestore"
	"hive/events/storetest"
)

// crashDirEnv switches the test binary into the crash child: the store
// directory it appends to until it is killed.
const crashDirEnv = "PEBBLESTORE_CRASH_CHILD_DIR"

const (
	crashWriters   = 8
	crashStreams   = 5
	crashPerAppend = 3
)

// TestCrashChild is the process TestCrashSafety kills. It appends from
// several goroutines to a few shared streams, each append crashPerAppend
// events sharing a correlation id, and prints "ack <id> <id> <id>" once
// Append has returned.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("the child process of TestCrashSafety")
	}
	s, err := pebblestore.Open(pebblestore.Config{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	for g := range crashWriters {
		go func() {
			for i := 0; ; i++ {
				stream := fmt.Sprintf("crash-%d", (g+i)%crashStreams)
				evs := crashAppend(t, stream)
				if _, err := s.Append(context.Background(), stream, events.Any(), evs); err != nil {
					t.Errorf("append: %v", err)
					return
				}
				line := "ack"
				for _, e := range evs {
					line += " " + e.ID.String()
				}
				mu.Lock()
				_, _ = os.Stdout.WriteString(line + "\n") // one write: the line is whole or absent
				mu.Unlock()
			}
		}()
	}
	time.Sleep(30 * time.Second)
	t.Error("the child was not killed")
}

// crashAppend returns one append's events, tied by a correlation id and
// numbered by causation id.
func crashAppend(t testing.TB, stream string) []events.Event {
	evs := storetest.NewEvents(t, stream, crashPerAppend)
	corr := "append-" + evs[0].ID.String()
	for i := range evs {
		evs[i].CorrelationID = corr
		evs[i].CausationID = fmt.Sprint(i)
	}
	return evs
}

// TestCrashSafety SIGKILLs a process in the middle of appending, reopens its
// directory and checks what it finds: every acknowledged event, every append
// whole or absent, no duplicates, dense positions, intact hash chains.
func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("crash test: runs without -short")
	}
	dir := t.TempDir()
	acked := runAndKill(t, dir)
	s := openStore(t, pebblestore.Config{Dir: dir})
	all := readAll(t, s)
	t.Logf("%d appends acknowledged before the kill; %d events stored", len(acked)/crashPerAppend, len(all))

	stored := make(map[uuid.UUID]bool, len(all))
	appends := make(map[string][]events.Envelope)
	for i, e := range all {
		if e.Position != uint64(i+1) {
			t.Fatalf("event %d at position %d: positions are not dense", i, e.Position)
		}
		if stored[e.ID] {
			t.Fatalf("event %s stored twice", e.ID)
		}
		stored[e.ID] = true
		appends[e.CorrelationID] = append(appends[e.CorrelationID], e)
	}
	for _, id := range acked {
		if !stored[id] {
			t.Errorf("acknowledged event %s is missing", id)
		}
	}
	for corr, evs := range appends {
		checkWholeAppend(t, corr, evs)
	}
	for i := range crashStreams {
		checkChain(t, s, fmt.Sprintf("crash-%d", i))
	}
	// The store goes on where the killed process stopped.
	last, err := s.ReadStream(context.Background(), "crash-0", events.End, events.Backward, 1)
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustAppend(t, s, "crash-0", events.Exact(last[0].Version), crashAppend(t, "crash-0"))
	checkChain(t, s, "crash-0")
}

// runAndKill runs the crash child on dir, kills it with SIGKILL a random
// while after its first acknowledgement, and returns the ids it
// acknowledged.
func runAndKill(t *testing.T, dir string) []uuid.UUID {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{})
	var acked []uuid.UUID
	readDone := make(chan error, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		var once sync.Once
		for sc.Scan() {
			ids, ok := parseAck(sc.Text())
			if ok {
				acked = append(acked, ids...)
				once.Do(func() { close(first) })
			}
		}
		readDone <- sc.Err()
	}()
	select {
	case <-first:
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatalf("the child acknowledged nothing in 10s; stderr:\n%s", stderr.String())
	}
	time.Sleep(200*time.Millisecond + rand.N(800*time.Millisecond))
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-readDone; err != nil {
		t.Fatalf("reading the child's output: %v", err)
	}
	if err := cmd.Wait(); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Fatalf("child ended with %v, want killed; stderr:\n%s", err, stderr.String())
	}
	return acked
}

func parseAck(line string) ([]uuid.UUID, bool) {
	f := strings.Fields(line)
	if len(f) != 1+crashPerAppend || f[0] != "ack" {
		return nil, false
	}
	ids := make([]uuid.UUID, 0, crashPerAppend)
	for _, s := range f[1:] {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, false
		}
		ids = append(ids, id)
	}
	return ids, true
}

// checkWholeAppend checks that the stored events of one append are all of
// them, in order, at consecutive versions and positions of one stream.
func checkWholeAppend(t *testing.T, corr string, evs []events.Envelope) {
	t.Helper()
	if len(evs) != crashPerAppend {
		t.Errorf("append %s: %d of its %d events stored", corr, len(evs), crashPerAppend)
		return
	}
	for i, e := range evs {
		if e.CausationID != fmt.Sprint(i) || e.Stream != evs[0].Stream ||
			e.Version != evs[0].Version+uint64(i) || e.Position != evs[0].Position+uint64(i) {
			t.Errorf("append %s: event %d is %s v%d @%d (cause %s), not the next of %s v%d @%d",
				corr, i, e.Stream, e.Version, e.Position, e.CausationID, evs[0].Stream, evs[0].Version, evs[0].Position)
		}
	}
}

// checkChain reads a whole stream and verifies its hash chain.
func checkChain(t *testing.T, s events.Store, stream string) {
	t.Helper()
	var envs []events.Envelope
	for from := uint64(1); ; {
		page, err := s.ReadStream(context.Background(), stream, from, events.Forward, events.MaxReadLimit)
		if err != nil {
			t.Fatalf("read %s: %v", stream, err)
		}
		if len(page) == 0 {
			break
		}
		envs = append(envs, page...)
		from = page[len(page)-1].Version + 1
	}
	if err := events.VerifyChain(envs); err != nil {
		t.Errorf("%s (%d events): %v", stream, len(envs), err)
	}
}
