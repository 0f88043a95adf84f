package pgtest_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"hive/events/pgstore/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func connect(t *testing.T, url string) (*pgx.Conn, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return pgx.Connect(ctx, url)
}

func mustConnect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	conn, err := connect(t, url)
	if err != nil {
		t.Fatalf("connect to %s: %v", url, err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// TestStopStart: a cluster of the test's own keeps its data across a
// restart on the same address, and refuses connections while stopped.
func TestStopStart(t *testing.T) {
	srv := pgtest.Start(t)
	ctx := context.Background()
	conn := mustConnect(t, srv.URL())
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (n int); INSERT INTO kept VALUES (7)"); err != nil {
		t.Fatal(err)
	}
	var fsync string
	if err := conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil || fsync != "on" {
		t.Errorf("fsync = %q, %v; want on", fsync, err)
	}
	srv.Stop()
	if _, err := connect(t, srv.URL()); err == nil {
		t.Fatal("connected to a stopped server")
	}
	srv.Start()
	var n int
	if err := mustConnect(t, srv.URL()).QueryRow(ctx, "SELECT n FROM kept").Scan(&n); err != nil || n != 7 {
		t.Fatalf("after a restart: %d, %v; want 7", n, err)
	}
}

// TestSharedDatabasesAreSeparate: each test's database on the shared
// cluster starts empty.
func TestSharedDatabasesAreSeparate(t *testing.T) {
	a, b := pgtest.Shared(t), pgtest.Shared(t)
	if a.URL() == b.URL() {
		t.Fatalf("two Shared calls gave the same database %s", a.URL())
	}
	ctx := context.Background()
	if _, err := mustConnect(t, a.URL()).Exec(ctx, "CREATE TABLE t (n int)"); err != nil {
		t.Fatal(err)
	}
	if _, err := mustConnect(t, b.URL()).Exec(ctx, "CREATE TABLE t (n int)"); err != nil {
		t.Fatalf("the second database is not empty: %v", err)
	}
	if a.NewDatabase(t) == a.URL() {
		t.Fatal("NewDatabase returned the server's own database")
	}
}

// TestPasswordRequired: a wrong password is refused, as on a real server.
func TestPasswordRequired(t *testing.T) {
	srv := pgtest.Shared(t)
	cfg, err := pgx.ParseConfig(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	wrong := "postgres://postgres:wrong@" + srv.Addr() + "/" + cfg.Database + "?sslmode=disable"
	_, err = connect(t, wrong)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("connect with a wrong password = %v, want invalid_password (28P01)", err)
	}
}
