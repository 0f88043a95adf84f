package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
)

// TestAwaitEnd drives the wait of GET /v1/workflows/{id} and
// GET /v1/tasks/{id} with a scripted read and watch: what each look
// reports, and what happens once the first watch is registered.
func TestAwaitEnd(t *testing.T) {
	tests := []struct {
		name    string
		wait    time.Duration
		noWatch bool
		// ended is what each look reports, its last value repeated; nil:
		// the look fails (answering 404 itself).
		ended []bool
		// event happens once the first watch is registered: "wake" wakes
		// every watch, "stop" begins the server's shutdown, "leave" is
		// the client going away; "" nothing (the wait passes).
		event string
		// status and header are the answer's status and Hive-Ended;
		// status 0 is no answer.
		status int
		header string
		looks  int
	}{
		{name: "no wait, not ended", ended: []bool{false}, status: http.StatusOK, header: "false", looks: 1},
		{name: "no wait, ended", ended: []bool{true}, status: http.StatusOK, header: "true", looks: 1},
		{name: "no wait needs no watch", noWatch: true, ended: []bool{false}, status: http.StatusOK, header: "false", looks: 1},
		{name: "ended at once", wait: time.Minute, ended: []bool{true}, status: http.StatusOK, header: "true", looks: 1},
		{name: "woken by the end", wait: time.Minute, ended: []bool{false, true}, event: "wake", status: http.StatusOK, header: "true", looks: 2},
		{name: "woken twice", wait: time.Minute, ended: []bool{false, false, true}, event: "wake", status: http.StatusOK, header: "true", looks: 3},
		{name: "the wait passes", wait: 20 * time.Millisecond, ended: []bool{false}, status: http.StatusOK, header: "false", looks: 2},
		{name: "the wait passes as it ends", wait: 20 * time.Millisecond, ended: []bool{false, true}, status: http.StatusOK, header: "true", looks: 2},
		{name: "the server stops", wait: time.Minute, ended: []bool{false}, event: "stop", status: http.StatusOK, header: "false", looks: 2},
		{name: "the client leaves", wait: time.Minute, ended: []bool{false}, event: "leave", looks: 1},
		{name: "no watch to wait with", wait: time.Minute, noWatch: true, ended: []bool{false}, status: http.StatusServiceUnavailable},
		{name: "the look fails", wait: time.Minute, status: http.StatusNotFound, looks: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stopping := make(chan struct{})
			s := &Server{stopping: stopping, logger: slog.New(slog.DiscardHandler)}
			rec := httptest.NewRecorder()
			c, _ := gin.CreateTestContext(rec)
			ctx, leave := context.WithCancel(t.Context())
			defer leave()
			c.Request = httptest.NewRequestWithContext(ctx, http.MethodGet, "/v1/workflows/x", nil)

			watched := make(chan chan struct{}, 10)
			var watch watchFunc
			if !tc.noWatch {
				watch = func() (<-chan struct{}, func()) {
					ch := make(chan struct{})
					watched <- ch
					return ch, func() {}
				}
			}
			looks := 0
			look := func() (any, bool, bool) {
				looks++
				if tc.ended == nil {
					writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound})
					return nil, false, false
				}
				return map[string]int{"look": looks}, tc.ended[min(looks, len(tc.ended))-1], true
			}
			done := make(chan struct{})
			go func() {
				defer close(done)
				s.awaitEnd(c, tc.wait, watch, look)
			}()
			act(t, tc.event, watched, done, stopping, leave)
			<-done

			if tc.status == 0 {
				if rec.Body.Len() > 0 || rec.Header().Get(endedHeader) != "" {
					t.Errorf("answered %d %q %s, want no answer", rec.Code, rec.Header().Get(endedHeader), rec.Body)
				}
			} else if rec.Code != tc.status || rec.Header().Get(endedHeader) != tc.header {
				t.Errorf("answered %d with Hive-Ended %q, want %d with %q", rec.Code, rec.Header().Get(endedHeader), tc.status, tc.header)
			}
			if looks != tc.looks {
				t.Errorf("looked %d times, want %d", looks, tc.looks)
			}
		})
	}
}

// act makes event happen once the first watch is registered (see
// TestAwaitEnd), until the wait is done.
func act(t *testing.T, event string, watched <-chan chan struct{}, done <-chan struct{}, stopping chan struct{}, leave func()) {
	t.Helper()
	if event == "" {
		return
	}
	select {
	case ch := <-watched:
		switch event {
		case "wake":
			close(ch)
		case "stop":
			close(stopping)
		case "leave":
			leave()
		}
	case <-done:
		t.Fatalf("the wait ended before %s", event)
	}
	for event == "wake" {
		select {
		case ch := <-watched:
			close(ch)
		case <-done:
			return
		}
	}
}
