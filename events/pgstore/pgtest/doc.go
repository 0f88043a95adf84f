// Package pgtest runs throwaway PostgreSQL clusters for tests: initdb into
// a temporary directory, pg_ctl on a free port of 127.0.0.1, stopped and
// removed when the test (or the test binary) ends. Tests never use a
// server that was already running, and never touch a system cluster.
//
// A cluster of a test's own, which it may stop and start again to play a
// server restart:
//
//	srv := pgtest.Start(t)
//	store, err := pgstore.Open(ctx, pgstore.Config{URL: srv.URL()})
//	srv.Stop()  // the server goes away under the store
//	srv.Start() // and comes back on the same port
//
// A database of its own on the cluster the test binary shares, which is
// far cheaper (creating a database takes milliseconds, a cluster seconds):
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	srv := pgtest.Shared(t)
//
// The clusters are PostgreSQL 15's, from Debian's postgresql package: the
// programs are looked up in `pg_config --bindir`, then in
// /usr/lib/postgresql/15/bin, then on PATH, and their absence fails the
// test with a message naming `make test`, which installs them. PostgreSQL
// refuses to run as root, so when the tests do, initdb, pg_ctl and the
// server run as the postgres user, in a directory that user owns (0700).
//
// If the test process dies without cleaning up (killed, or a timeout),
// a watchdog process it started stops its clusters and removes their
// directories within a second.
//
// The server listens on 127.0.0.1 only (no Unix socket) and keeps fsync on,
// as a production server does, so that what tests and benchmarks measure
// includes durable commits. Every connection authenticates with a password
// (scram-sha-256), so that a wrong one is refused as on a real server.
package pgtest
