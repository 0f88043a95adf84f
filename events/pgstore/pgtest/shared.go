package pgtest

import (
	"fmt"
	"os"
	"sync"
	"testing"
)

// shared is the cluster a test binary's tests share: started by the first
// call of Shared, stopped by Main once the tests have run.
var shared struct {
	main bool // Main is running the tests
	once sync.Once
	c    *cluster
	err  error
}

// Main runs a test binary's tests and then stops the cluster Shared
// started, if any, and returns the exit code. Call it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	shared.main = true
	code := m.Run()
	if shared.c != nil {
		if err := shared.c.destroy(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: stop the shared cluster: %v\n", err)
			code = max(code, 1)
		}
	}
	return code
}

// Shared creates a database of t's own on the cluster the test binary
// shares, starting the cluster on first use. The binary's TestMain must call Main, which stops the cluster;
// its server cannot be stopped by a test (see Start).
func Shared(t testing.TB) *Server {
	t.Helper()
	if !shared.main {
		t.Fatal("pgtest.Shared needs the test binary's TestMain to call pgtest.Main, which stops the shared cluster")
	}
	shared.once.Do(func() { shared.c, shared.err = newCluster() })
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	s := &Server{t: t, c: shared.c, shared: true}
	s.url = s.NewDatabase(t)
	return s
}
