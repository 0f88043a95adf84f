package pgstore_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"hive/events"
	"hive/events/pgstore"
	"hive/events/pgstore/pgtest"
	"hive/events/storetest"
)

// TestOpenRacing has several stores open one new database at once, as
// nodes starting together do: the schema is created once, every Open
// succeeds, and they share one log.
func TestOpenRacing(t *testing.T) {
	const nodes = 6
	url := pgtest.Shared(t).URL()
	stores := make([]*pgstore.Store, nodes)
	errs := make([]error, nodes)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stores[i], errs[i] = pgstore.Open(context.Background(), pgstore.Config{URL: url})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: Open: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	for i, s := range stores {
		storetest.MustAppend(t, s, "shared", events.Exact(uint64(i)), storetest.NewEvents(t, "shared", 1))
	}
	got, err := stores[0].ReadStream(context.Background(), "shared", 1, events.Forward, 100)
	if err != nil || len(got) != nodes {
		t.Fatalf("the nodes' stream has %d events (%v), want %d", len(got), err, nodes)
	}
	if err := events.VerifyChain(got); err != nil {
		t.Fatal(err)
	}
	var migrations int
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM hive.migrations").Scan(&migrations); err != nil || migrations != 1 {
		t.Fatalf("hive.migrations has %d rows (%v), want 1", migrations, err)
	}
}

// TestOpenKeepsData: reopening finds the schema migrated and the events
// and snapshots there.
func TestOpenKeepsData(t *testing.T) {
	url := pgtest.Shared(t).URL()
	s := open(t, pgstore.Config{URL: url})
	res := storetest.MustAppend(t, s, "kept", events.NoStream(), storetest.NewEvents(t, "kept", 3))
	if err := s.SaveSnapshot(context.Background(), events.Snapshot{Stream: "kept", Version: 2, Type: "t"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	again := open(t, pgstore.Config{URL: url})
	if h, err := again.Head(context.Background()); err != nil || h != res.LastPosition {
		t.Fatalf("Head after reopening = %d, %v; want %d", h, err, res.LastPosition)
	}
	if snap, err := again.LoadSnapshot(context.Background(), "kept"); err != nil || snap.Version != 2 {
		t.Fatalf("snapshot after reopening = %+v, %v", snap, err)
	}
	storetest.MustAppend(t, again, "kept", events.Exact(3), storetest.NewEvents(t, "kept", 1))
}

// TestOpenSchemaTooNew: a database a newer Hive migrated is refused.
func TestOpenSchemaTooNew(t *testing.T) {
	url := pgtest.Shared(t).URL()
	s := open(t, pgstore.Config{URL: url})
	_ = s.Close()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), "INSERT INTO hive.migrations (version) VALUES (1000)"); err != nil {
		t.Fatal(err)
	}
	_, err = pgstore.Open(context.Background(), pgstore.Config{URL: url})
	if !errors.Is(err, pgstore.ErrSchemaTooNew) || !strings.Contains(err.Error(), "1000") {
		t.Fatalf("Open = %v, want ErrSchemaTooNew naming version 1000", err)
	}
}

// TestOpenFailsFast: a store that cannot be used fails Open at once, with
// an error naming the cause and never the password.
func TestOpenFailsFast(t *testing.T) {
	srv := pgtest.Shared(t)
	good := srv.URL()
	cfg, err := pgx.ParseConfig(good)
	if err != nil {
		t.Fatal(err)
	}
	closedPort := freeAddr(t)
	tests := []struct {
		name    string
		url     string
		is      error  // errors.Is
		mention string // in the message
	}{
		{"connection refused", strings.Replace(good, srv.Addr(), closedPort, 1), events.ErrUnavailable, "refused"},
		{"unreachable address", strings.Replace(good, srv.Addr(), "192.0.2.1:5432", 1), events.ErrUnavailable, "192.0.2.1"},
		{"wrong password", strings.Replace(good, cfg.Password, "not-the-password", 1), nil, "password authentication failed"},
		{"missing database", strings.Replace(good, "/"+cfg.Database+"?", "/no_such_db?", 1), nil, "no_such_db"},
		{"malformed URL", "postgres://postgres:secret@127.0.0.1:notaport/db", events.ErrInvalidArgument, "port"},
		{"unknown scheme", "mysql://postgres:secret@127.0.0.1/db", events.ErrInvalidArgument, "mysql"},
		{"server that never answers", strings.Replace(good, srv.Addr(), silentServer(t), 1), events.ErrUnavailable, "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			s, err := pgstore.Open(context.Background(), pgstore.Config{URL: tc.url, ConnectTimeout: time.Second})
			took := time.Since(start)
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			t.Logf("%s (after %v)", err, took.Round(time.Millisecond))
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error is not %v", tc.is)
			}
			if !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("error does not mention %q", tc.mention)
			}
			for _, secret := range []string{cfg.Password, "secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error shows the password %q", secret)
				}
			}
			if took > 10*time.Second {
				t.Errorf("Open took %v to fail, past its one-second connect timeout", took)
			}
		})
	}
}

// silentServer returns the address of a server that accepts connections
// and never answers, as a host behind a broken network would.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			_ = c.Close()
		}
	})
	return l.Addr().String()
}

// freeAddr returns a 127.0.0.1 address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}
