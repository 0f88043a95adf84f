package loadgen_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hive/http/loadgen"
)

func server(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func TestRunSendsEveryRequest(t *testing.T) {
	conns, err := loadgen.DialN(server(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer loadgen.CloseAll(conns)
	res, err := loadgen.Run(conns, 100, func(_, i int) loadgen.Request {
		return loadgen.Request{Method: "POST", Path: "/x", Bearer: "t", Body: []byte(`{}`), Want: http.StatusCreated}
	})
	if err != nil || len(res.Latencies) != 100 || res.Rate() <= 0 || res.Percentile(0.99) < res.Percentile(0.5) {
		t.Fatalf("run: %d latencies, rate %v, err %v", len(res.Latencies), res.Rate(), err)
	}
}

func TestRunStopsAtAnUnexpectedStatus(t *testing.T) {
	conns, err := loadgen.DialN(server(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	defer loadgen.CloseAll(conns)
	_, err = loadgen.Run(conns, 10, func(_, i int) loadgen.Request {
		return loadgen.Request{Method: "POST", Path: "/x", Want: http.StatusCreated}
	})
	if err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("err = %v, want the 401 named", err)
	}
}

func TestPacedKeepsTheRate(t *testing.T) {
	conns, err := loadgen.DialN(server(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer loadgen.CloseAll(conns)
	res, err := loadgen.Paced(conns, 50, 1000, func(_, i int) loadgen.Request {
		return loadgen.Request{Method: "GET", Path: "/x", Bearer: "t", Want: http.StatusCreated}
	})
	if err != nil || len(res.Latencies) != 50 {
		t.Fatalf("paced: %d latencies, err %v", len(res.Latencies), err)
	}
	if res.Took < 45*time.Millisecond {
		t.Fatalf("50 requests at 1000/s took %v, want about 50ms", res.Took)
	}
}

func TestDoJSONReadsChunkedAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`{"a":`))
		w.(http.Flusher).Flush() // the rest comes in a chunk of its own
		_, _ = w.Write([]byte(`"b"}`))
	}))
	t.Cleanup(srv.Close)
	c, err := loadgen.Dial(strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for range 2 { // the connection is reusable after a chunked answer
		var out struct{ A string }
		if err := c.DoJSON(loadgen.Request{Method: "GET", Path: "/", Want: http.StatusOK}, &out); err != nil || out.A != "b" {
			t.Fatalf("answer %+v, err %v", out, err)
		}
	}
}

func TestRunForStopsAfterItsDuration(t *testing.T) {
	conns, err := loadgen.DialN(server(t), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer loadgen.CloseAll(conns)
	res, err := loadgen.RunFor(conns, 50*time.Millisecond, func(_, i int) loadgen.Request {
		return loadgen.Request{Method: "POST", Path: "/x", Bearer: "t", Want: http.StatusCreated}
	})
	if err != nil || len(res.Latencies) == 0 {
		t.Fatalf("run for 50ms: %d latencies, err %v", len(res.Latencies), err)
	}
	if res.Took < 50*time.Millisecond || res.Took > 5*time.Second {
		t.Fatalf("a run for 50ms took %v", res.Took)
	}
}
