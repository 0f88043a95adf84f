package main

import (
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"hive/events/pgstore/pgtest"
)

// TestServeRefusesADataDirOfAnotherStore serves a data dir on one
// PostgreSQL database, then starts on another with it: read models saved
// beyond the new store's end are refused with one line saying what to do,
// and once rebuilt from that store (hive projections rebuild --store) the
// data dir serves it.
func TestServeRefusesADataDirOfAnotherStore(t *testing.T) {
	t.Setenv(runMainEnv, "1") // the test binary runs hive's main
	srv := pgtest.Shared(t)
	first, other := srv.URL(), srv.NewDatabase(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	w := &walkthrough{dataDir: dataDir, addr: freeAddr(t), storeFlags: []string{"--store", first}}
	w.start(t)
	registerAgent(t, w.s, "coder-1", "code")
	stopServer(t, w.srv)

	p := runMain(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", dataDir, "--store", other)
	assertOneLineRefusal(t, p, "reached position", "ends at position 0", "this data dir belongs to another store",
		"hive projections rebuild --store URL --data-dir "+dataDir)

	if out, err := runHive(t, "projections", "rebuild", "--store", other, "--data-dir", dataDir); err != nil {
		t.Fatalf("projections rebuild --store: %q, %v", out, err)
	}
	w.storeFlags = []string{"--store", other}
	w.start(t)
	var agents struct {
		Agents []any `json:"agents"`
	}
	w.s.must(t, http.MethodGet, "/v1/agents", nil, &agents)
	if len(agents.Agents) != 0 {
		t.Errorf("the other store's server lists %d agents, want none", len(agents.Agents))
	}
}

// TestServeCountsPostgresCommits wants hive_store_commits_total, the
// store's appending transactions, on a server on PostgreSQL too.
func TestServeCountsPostgresCommits(t *testing.T) {
	t.Setenv(runMainEnv, "1")
	w := &walkthrough{dataDir: filepath.Join(t.TempDir(), "data"), addr: freeAddr(t), storeFlags: []string{"--store", pgtest.Shared(t).URL()}}
	w.start(t)
	registerAgent(t, w.s, "coder-1", "code")
	resp, err := w.srv.client.Get(w.srv.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^hive_store_commits_total (\d+)$`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("no hive_store_commits_total in /metrics:\n%s", raw)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 2 { // the admin token, the agent
		t.Errorf("hive_store_commits_total %d, want at least 2", n)
	}
}
