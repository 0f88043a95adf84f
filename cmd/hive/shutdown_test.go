package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"testing"
	"time"
)

// shutdownPatience is how long the test lets a long request take to end
// once shutdown begins: far less than the --shutdown-timeout it serves with.
const shutdownPatience = 5 * time.Second

// TestShutdownEndsLongPollsAndStreamsAtOnce serves Hive as `hive serve`
// does, holds a worker's long poll, an assignment stream and a live stream
// open, and stops it: the poll answers what there is at once, the streams
// end, and serve returns cleanly well within its --shutdown-timeout.
func TestShutdownEndsLongPollsAndStreamsAtOnce(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	served := make(chan error, 1)
	o := serveOptions{addr: addr, dataDir: dir, shutdownTimeout: time.Minute, heartbeatTimeout: time.Minute}
	go func() { served <- serve(ctx, o, slog.New(slog.DiscardHandler)) }()
	s := serving(t, "http://"+addr, dir, served)
	id := registerAgent(t, s, "poller", "code")

	poll := s.holdOpen(t, "/v1/agents/"+id+"/assignments?wait=60s")
	stream := s.holdOpen(t, "/v1/agents/"+id+"/assignments/stream")
	// The poll's connection was accepted before the stream's: the server
	// has them both once the stream answers.
	if r := <-stream; r.status != http.StatusOK {
		t.Fatalf("assignment stream: %d", r.status)
	}
	resp, live := openLive(t, s, "agents", "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("live stream: %d", resp.StatusCode)
	}

	stop() // what SIGTERM does
	deadline := time.After(shutdownPatience)
	receive(t, poll, deadline, "answer to the long poll")
	if r, _ := receive(t, poll, deadline, "end of the long poll's answer"); r.status != http.StatusOK || r.err != nil {
		t.Errorf("long poll at shutdown: %d %v, want 200 with what there is", r.status, r.err)
	}
	receive(t, stream, deadline, "end of the assignment stream")
	for open := true; open; {
		_, open = receive(t, live, deadline, "end of the live stream")
	}
	if err, _ := receive(t, served, deadline, "return of serve"); err != nil {
		t.Errorf("serve: %v", err)
	}
}

// serving waits until the server at url is ready and returns a client of
// it with the admin token written into dir, failing if serve returns first.
func serving(t *testing.T, url, dir string, served <-chan error) *sim {
	t.Helper()
	s := &sim{client: &http.Client{}}
	s.url.Store(&url)
	deadline := time.Now().Add(readyTimeout)
	for code, _ := s.call(http.MethodGet, "/readyz", nil, nil); code != http.StatusOK; code, _ = s.call(http.MethodGet, "/readyz", nil, nil) {
		select {
		case err := <-served:
			t.Fatalf("serve returned before it was ready: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not ready after %v", readyTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
	s.token = adminToken(t, dir)
	return s
}

// heldResponse is how a request held open ended: its status (once its
// headers came), and the error that ended its body, if any but EOF.
type heldResponse struct {
	status int
	header http.Header
	err    error
}

// holdOpen sends GET path on a connection of its own and returns once the
// request is written. The channel gets the response's status when its
// headers arrive, then the outcome once its body ends.
func (s *sim) holdOpen(t *testing.T, path string) <-chan heldResponse {
	t.Helper()
	wrote := make(chan struct{})
	trace := &httptrace.ClientTrace{WroteRequest: func(httptrace.WroteRequestInfo) { close(wrote) }}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(t.Context(), trace), http.MethodGet, *s.url.Load()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.authorize(req)
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	out := make(chan heldResponse, 2)
	go func() {
		resp, err := client.Do(req)
		if err != nil {
			out <- heldResponse{err: err}
			return
		}
		defer resp.Body.Close()
		out <- heldResponse{status: resp.StatusCode, header: resp.Header}
		_, err = io.Copy(io.Discard, resp.Body)
		out <- heldResponse{status: resp.StatusCode, header: resp.Header, err: err}
	}()
	select {
	case <-wrote:
	case r := <-out:
		t.Fatalf("GET %s: %d %v before it was held", path, r.status, r.err)
	}
	return out
}

// receive returns the next value of ch, failing the test if deadline
// passes first.
func receive[T any](t *testing.T, ch <-chan T, deadline <-chan time.Time, what string) (T, bool) {
	t.Helper()
	select {
	case v, ok := <-ch:
		return v, ok
	case <-deadline:
		t.Fatalf("no %s within %v of shutdown", what, shutdownPatience)
	}
	var zero T
	return zero, false
}
