package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCheckPprofAddr(t *testing.T) {
	for _, tc := range []struct {
		addr        string
		allowRemote bool
		ok          bool
	}{
		{"127.0.0.1:6060", false, true},
		{"127.0.0.2:0", false, true},
		{"[::1]:6060", false, true},
		{"localhost:6060", false, true},
		{":6060", false, false},
		{"0.0.0.0:6060", false, false},
		{"[::]:6060", false, false},
		{"192.0.2.7:6060", false, false},
		{"example.com:6060", false, false},
		{":6060", true, true},
		{"192.0.2.7:6060", true, true},
		{"127.0.0.1", false, false},
		{"127.0.0.1", true, false},
	} {
		err := checkPprofAddr(tc.addr, tc.allowRemote)
		if (err == nil) != tc.ok {
			t.Errorf("checkPprofAddr(%q, %v) = %v, want ok %v", tc.addr, tc.allowRemote, err, tc.ok)
		}
	}
}

// getText returns the status and body of GET url.
func getText(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// TestPprofIsOffByDefault: hive serve serves no profiles unless asked to,
// and never on the API's port.
func TestPprofIsOffByDefault(t *testing.T) {
	if f := newServeCommand().Flags().Lookup("pprof"); f == nil || f.DefValue != "" {
		t.Fatalf("--pprof defaults to %v, want no address", f)
	}
	dir, addr := t.TempDir(), freeAddr(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, serveOptions{addr: addr, dataDir: dir, shutdownTimeout: time.Minute}, slog.New(slog.DiscardHandler))
	}()
	serving(t, "http://"+addr, dir, served)
	if status, _ := getText(t, "http://"+addr+"/debug/pprof/"); status != http.StatusNotFound {
		t.Errorf("the API's port answers /debug/pprof/ with %d, want 404", status)
	}
	stop()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// TestPprofServesProfilesOnItsOwnListener: with --pprof, the profiles are
// at that address (not the command line), not on the API's port, and gone
// once the server stops; the API's own address, and a non-loopback one,
// are refused.
func TestPprofServesProfilesOnItsOwnListener(t *testing.T) {
	dir, addr, profiles := t.TempDir(), freeAddr(t), freeAddr(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	o := serveOptions{addr: addr, dataDir: dir, shutdownTimeout: time.Minute, pprof: profiles}
	go func() { served <- serve(ctx, o, slog.New(slog.DiscardHandler)) }()
	serving(t, "http://"+addr, dir, served)

	if status, body := getText(t, "http://"+profiles+"/debug/pprof/"); status != http.StatusOK || !strings.Contains(body, "goroutine") {
		t.Fatalf("GET /debug/pprof/ at --pprof: %d %.200s, want the index of profiles", status, body)
	}
	if status, body := getText(t, "http://"+profiles+"/debug/pprof/heap?debug=1"); status != http.StatusOK || !strings.Contains(body, "heap profile") {
		t.Errorf("GET /debug/pprof/heap?debug=1: %d %.200s, want the heap profile", status, body)
	}
	if status, body := getText(t, "http://"+profiles+"/debug/pprof/cmdline"); status != http.StatusNotFound || strings.Contains(body, dir) {
		t.Errorf("GET /debug/pprof/cmdline: %d %.200s, want 404", status, body)
	}
	if status, _ := getText(t, "http://"+addr+"/debug/pprof/"); status != http.StatusNotFound {
		t.Errorf("the API's port answers /debug/pprof/ with %d, want 404", status)
	}
	stop()
	if err := <-served; err != nil {
		t.Fatalf("serve: %v", err)
	}
	if _, err := http.Get("http://" + profiles + "/debug/pprof/"); err == nil {
		t.Error("the profiles are still served after the server stopped")
	}

	same := freeAddr(t)
	o = serveOptions{addr: same, dataDir: t.TempDir(), shutdownTimeout: time.Minute, pprof: same}
	if err := serve(t.Context(), o, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "--pprof") {
		t.Errorf("serve with --pprof at the API's address: %v, want a refusal of --pprof", err)
	}

	root := newRootCommand()
	root.SetOut(io.Discard)
	root.SetArgs([]string{"serve", "--data-dir", t.TempDir(), "--addr", freeAddr(t), "--pprof", "0.0.0.0:0"})
	if err := root.ExecuteContext(t.Context()); err == nil || !strings.Contains(err.Error(), "--pprof-allow-remote") {
		t.Errorf("hive serve --pprof 0.0.0.0:0: %v, want a refusal naming --pprof-allow-remote", err)
	}
}
