package client_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"hive/http/client"
)

// flaky answers 503 to the first request, then the swarm.
type flaky struct {
	mu       sync.Mutex
	requests []http.Header
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r.Header.Clone())
	n := len(f.requests)
	f.mu.Unlock()
	if n == 1 {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(`{"status":503,"detail":"busy"}`))
		return
	}
	_, _ = w.Write([]byte(`{"position":7,"id":"s1","name":"crew","topology":"mesh","extra":true}`))
}

func TestCommandsAreRetriedOnlyWithAnIdempotencyKey(t *testing.T) {
	tests := []struct {
		name      string
		opts      []client.CallOption
		wantCalls int
	}{
		{name: "without a key", wantCalls: 1},
		{name: "with a key", opts: []client.CallOption{client.WithIdempotencyKey("k-1"), client.WithCorrelationID("c-1")}, wantCalls: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &flaky{}
			srv := httptest.NewServer(f)
			defer srv.Close()
			c, err := client.New(client.Config{Server: srv.URL, RetryBackoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			s, err := c.CreateSwarm(context.Background(), client.NewSwarm{Name: "crew", Topology: "mesh"}, tc.opts...)
			if len(f.requests) != tc.wantCalls {
				t.Fatalf("%d requests, want %d (err %v)", len(f.requests), tc.wantCalls, err)
			}
			if tc.wantCalls == 1 {
				if client.StatusOf(err) != http.StatusServiceUnavailable {
					t.Fatalf("err = %v, want the 503", err)
				}
				return
			}
			if err != nil || s.ID != "s1" || s.Position != 7 || string(s.Raw) != `{"position":7,"id":"s1","name":"crew","topology":"mesh","extra":true}` {
				t.Fatalf("swarm %+v, %v", s, err)
			}
			for _, h := range f.requests {
				if h.Get("Idempotency-Key") != "k-1" || h.Get("Hive-Correlation-Id") != "c-1" {
					t.Errorf("request headers %v: want the key and the correlation id on every try", h)
				}
			}
		})
	}
}
