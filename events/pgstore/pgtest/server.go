package pgtest

import (
	"context"
	"net"
	"strconv"
	"testing"
)

// Server is a throwaway PostgreSQL cluster and one database on it.
type Server struct {
	t      testing.TB
	c      *cluster
	url    string
	shared bool
}

// Start starts a cluster of t's own, stopped and removed when t ends, and
// creates a database on it. Starting one takes a second or two; tests that
// do not stop the server use Shared instead.
func Start(t testing.TB) *Server {
	t.Helper()
	c, err := newCluster()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.destroy(); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	s := &Server{t: t, c: c}
	s.url = s.NewDatabase(t)
	return s
}

// URL returns the postgres:// URL of the server's database, which was
// empty when the Server was returned. It names the superuser and its
// password, 127.0.0.1 and the server's port.
func (s *Server) URL() string { return s.url }

// Addr returns the server's host:port.
func (s *Server) Addr() string {
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.c.port))
}

// NewDatabase creates one more empty database on the server and returns
// its URL. Databases are not dropped before the cluster stops: dropping
// one costs PostgreSQL a checkpoint, far more than the disk space it holds.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name, err := s.c.createDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s.c.url(name)
}

// Stop stops the server with a fast shutdown, as an operator restarting
// it would: clients are disconnected and their transactions in flight
// rolled back. The server of Shared cannot be stopped.
func (s *Server) Stop() {
	s.t.Helper()
	s.mustOwn("stop")
	if err := s.c.stop(); err != nil {
		s.t.Fatal(err)
	}
}

// Start starts the stopped server again, on the same port with the same
// data, and waits until it accepts connections.
func (s *Server) Start() {
	s.t.Helper()
	s.mustOwn("start")
	if err := s.c.start(); err != nil {
		s.t.Fatal(err)
	}
}

func (s *Server) mustOwn(what string) {
	s.t.Helper()
	if s.shared {
		s.t.Fatalf("pgtest: cannot %s the cluster the test binary shares: use pgtest.Start for a cluster of the test's own", what)
	}
}
