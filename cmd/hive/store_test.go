package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"hive/events/archive"
	"hive/events/esdbstore/esdbdouble"
	"hive/events/pgstore/pgtest"
)

// storeSecret is the password of the store URLs of these tests: no output
// may show it.
const storeSecret = "S3cr3t-pw"

// secretForms are storeSecret as a URL may write it and a driver may show
// it.
var secretForms = []string{storeSecret, url.QueryEscape(storeSecret)}

// TestStoreURLsShowWhatTheyName wants a store URL shown as given but for
// its secrets.
func TestStoreURLsShowWhatTheyName(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"postgres://hive:hive@db:5432/hive", "postgres://hive:xxxxx@db:5432/hive"},
		{"postgresql://hive@db/hive?sslmode=disable&password=pw&connect_timeout=2", "postgresql://hive@db/hive?sslmode=disable&password=xxxxx&connect_timeout=2"},
		{"esdb://admin:changeit@node1:2113,node2:2113?tls=false", "esdb://admin:xxxxx@node1:2113,node2:2113?tls=false"},
		{"kurrentdb://node1:2113?tls=false", "kurrentdb://node1:2113?tls=false"},
	}
	for _, tc := range tests {
		u, err := parseStoreURL(tc.raw)
		if err != nil {
			t.Fatalf("%s: %v", tc.raw, err)
		}
		if got := u.String(); got != tc.want {
			t.Errorf("%s shown as %s, want %s", tc.raw, got, tc.want)
		}
	}
}

func TestStoreURLsHideTheirSecrets(t *testing.T) {
	tests := []struct {
		name, raw string
		backend   backend
		// problem is what parseStoreURL says is wrong ("": nothing).
		problem string
	}{
		{name: "postgres", raw: "postgres://hive:" + storeSecret + "@db:5432/hive", backend: postgres},
		{name: "postgresql with an escaped password", raw: "postgresql://hive:" + storeSecret + "%2F%40@db/hive?sslmode=disable", backend: postgres},
		{name: "password in the query", raw: "postgres://hive@db/hive?sslmode=disable&password=" + storeSecret, backend: postgres},
		{name: "sslpassword in the query", raw: "postgres://hive@db/hive?sslpassword=" + storeSecret + "&sslmode=verify-full", backend: postgres},
		{name: "esdb cluster", raw: "esdb://admin:" + storeSecret + "@node1:2113,node2:2113,node3:2113?tls=false", backend: eventStoreDB},
		{name: "kurrentdb discovery", raw: "kurrentdb+discover://admin:" + storeSecret + "@cluster.example:2113", backend: eventStoreDB},
		{name: "upper-case scheme", raw: "POSTGRES://hive:" + storeSecret + "@db/hive", backend: postgres},
		{name: "malformed port", raw: "postgres://hive:" + storeSecret + "@db:port/hive", problem: "malformed URL"},
		{name: "malformed password", raw: "postgres://hive:" + storeSecret + "/x@db/hive", problem: "malformed URL"},
		{name: "unknown scheme", raw: "mysql://root:" + storeSecret + "@db/hive", problem: `unknown scheme "mysql"`},
		{name: "not a URL", raw: "hive:" + storeSecret + "@db", problem: "not a URL"},
		{name: "esdb without a host", raw: "esdb://admin:" + storeSecret + "@/?tls=false", problem: "no host"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := parseStoreURL(tc.raw)
			switch {
			case tc.problem == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.problem != "" && (err == nil || !strings.Contains(err.Error(), tc.problem)):
				t.Fatalf("error %v, want one saying %q", err, tc.problem)
			case tc.problem == "" && u.backend != tc.backend:
				t.Errorf("backend %v, want %v", u.backend, tc.backend)
			}
			shown := []string{u.String(), u.hide(fmt.Errorf("the driver says %s\nand more", tc.raw)).Error()}
			if err != nil {
				shown = append(shown, err.Error())
			}
			for _, s := range shown {
				assertNoSecret(t, s)
				if strings.Contains(s, "\n") {
					t.Errorf("shown over more than one line: %q", s)
				}
			}
			if tc.problem == "" && !strings.Contains(u.String(), redactedPassword) {
				t.Errorf("%q does not show that it hides a password", u)
			}
		})
	}
}

// assertNoSecret fails if s shows storeSecret in any form.
func assertNoSecret(t *testing.T, s string) {
	t.Helper()
	for _, secret := range secretForms {
		if strings.Contains(s, secret) {
			t.Errorf("shows the password: %s", s)
		}
	}
}

// TestEveryToolTakesStore walks the commands and wants --store, read
// from HIVE_STORE, on serve and on every tool that reads or writes the
// log, and on no command that only calls a server.
func TestEveryToolTakesStore(t *testing.T) {
	want := []string{"audit", "events list", "events read", "events tail", "export", "import",
		"projections rebuild", "replay", "serve", "verify"}
	var got []string
	var walk func(cmd *cobra.Command, path []string)
	walk = func(cmd *cobra.Command, path []string) {
		if f := cmd.Flag("store"); f != nil && cmd.Runnable() {
			got = append(got, strings.Join(path, " "))
			if env := f.Annotations[envAnnotation]; !slices.Equal(env, []string{"HIVE_STORE"}) {
				t.Errorf("hive %s --store reads %v, want HIVE_STORE", strings.Join(path, " "), env)
			}
		}
		for _, sub := range cmd.Commands() {
			walk(sub, append(slices.Clone(path), sub.Name()))
		}
	}
	root := newRootCommand()
	for _, cmd := range root.Commands() {
		cmd.InitDefaultHelpFlag()
		walk(cmd, []string{cmd.Name()})
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("commands with --store: %v, want %v", got, want)
	}
}

// TestBadStoreStopsServeAtOnce starts hive serve on store URLs that are
// wrong in each way a URL can be, and wants each refused at once: exit
// status 1 and one line on standard error saying which part is wrong and
// why, without the password, and no stack trace.
func TestBadStoreStopsServeAtOnce(t *testing.T) {
	srv := pgtest.Shared(t)
	good, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	withPassword := func(u url.URL) string {
		u.User = url.UserPassword(u.User.Username(), storeSecret)
		return u.String()
	}
	otherDB := *good
	otherDB.Path = "/no_such_database"
	goodUser, _ := good.User.Password()
	otherDB.User = url.UserPassword(good.User.Username(), goodUser)
	tests := []struct {
		name, store string
		want        []string
	}{
		{name: "not a URL", store: "hive:" + storeSecret + "@db.example:5432", want: []string{"--store: not a URL", "postgres://"}},
		{name: "unknown scheme", store: "mysql://root:" + storeSecret + "@db/hive", want: []string{"--store mysql://root:xxxxx@db/hive", `unknown scheme "mysql"`}},
		{name: "malformed port", store: "postgres://hive:" + storeSecret + "@db:port/hive", want: []string{"malformed URL", `invalid port ":port"`}},
		{name: "malformed setting", store: "postgres://hive:" + storeSecret + "@127.0.0.1/hive?sslmode=sometimes", want: []string{"malformed URL", "sslmode"}},
		{name: "unreachable", store: "postgres://hive:" + storeSecret + "@" + closedAddr(t) + "/hive", want: []string{"cannot reach the store", "connection refused"}},
		{name: "silent server", store: "postgres://hive:" + storeSecret + "@" + silentAddr(t) + "/hive", want: []string{"cannot reach the store", "timeout"}},
		{name: "refused credentials", store: withPassword(*good), want: []string{"password authentication failed", "28P01"}},
		{name: "no such database", store: otherDB.String(), want: []string{`database "no_such_database" does not exist`}},
		{name: "esdb malformed", store: "esdb://admin:" + storeSecret + "@db:port?tls=false", want: []string{"malformed"}},
		{name: "esdb unreachable", store: "esdb://admin:" + storeSecret + "@" + closedAddr(t) + "?tls=false", want: []string{"cannot reach the store", "EventStoreDB"}},
		{name: "esdb refused credentials", store: refusingESDB(t), want: []string{"EventStoreDB refused the credentials"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := runMain(t, "serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "data"), "--store", tc.store)
			assertOneLineRefusal(t, p, append([]string{"hive: --store"}, tc.want...)...)
		})
	}
}

// TestBadStoreStopsEveryTool gives every command that takes --store an
// unreachable store, by flag and by HIVE_STORE, and wants each to exit at
// once with the same one-line refusal.
func TestBadStoreStopsEveryTool(t *testing.T) {
	store := "postgres://hive:" + storeSecret + "@" + closedAddr(t) + "/hive"
	empty := filepath.Join(t.TempDir(), "empty.ndjson")
	writeEmptyArchive(t, empty)
	tools := [][]string{
		{"serve", "--addr", "127.0.0.1:0", "--data-dir", filepath.Join(t.TempDir(), "data")},
		{"verify"}, {"export", "--out", filepath.Join(t.TempDir(), "out.ndjson")}, {"import", empty},
		{"events", "list"}, {"events", "read", "agent-a1"}, {"events", "tail"},
		{"audit", "agent/a1"}, {"replay", "agent/a1", "--at", "1"},
		{"projections", "rebuild", "--data-dir", t.TempDir()},
	}
	for _, args := range tools {
		t.Run(strings.Join(args[:min(2, len(args))], " "), func(t *testing.T) {
			assertOneLineRefusal(t, runMain(t, append(slices.Clone(args), "--store", store)...), "hive: --store", "cannot reach the store")
		})
		t.Run(strings.Join(args[:min(2, len(args))], " ")+" with HIVE_STORE", func(t *testing.T) {
			t.Setenv("HIVE_STORE", store)
			assertOneLineRefusal(t, runMain(t, args...), "hive: --store", "cannot reach the store")
		})
	}
}

// assertOneLineRefusal checks that p exited with status 1 after writing
// one line to standard error, "hive: ..." naming each of want, after
// nothing but log records.
func assertOneLineRefusal(t *testing.T, p hiveProcess, want ...string) {
	t.Helper()
	if p.code != 1 {
		t.Errorf("exit status %d, want 1; stderr:\n%s", p.code, p.stderr)
	}
	lines := strings.Split(strings.TrimSuffix(p.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	for _, line := range lines[:len(lines)-1] {
		if !strings.HasPrefix(line, "time=") {
			t.Errorf("stderr has a line that is no log record before the last:\n%s", p.stderr)
			break
		}
	}
	if !strings.HasPrefix(last, "hive: ") {
		t.Errorf("the last line of stderr does not start hive: :\n%s", p.stderr)
	}
	contains(t, "stderr", p.stderr, want...)
	assertNoSecret(t, p.stderr+p.stdout)
	if strings.Contains(p.stderr, "goroutine ") {
		t.Errorf("a stack trace:\n%s", p.stderr)
	}
}

// refusingESDB returns the URL of an EventStoreDB double that refuses the
// credentials of every call.
func refusingESDB(t *testing.T) string {
	t.Helper()
	srv := esdbdouble.Start(t)
	srv.Inject(esdbdouble.Read, esdbdouble.Unauthenticated, -1)
	srv.Inject(esdbdouble.Features, esdbdouble.Unauthenticated, -1)
	return "esdb://admin:" + storeSecret + "@" + srv.Addr() + "?tls=false"
}

// closedAddr returns a loopback address where nothing listens.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// silentAddr returns the address of a server that accepts connections
// and never answers, until the test ends.
func silentAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		<-done
		for _, c := range conns {
			c.Close()
		}
	})
	return ln.Addr().String()
}

// writeEmptyArchive writes an archive of no events to path.
func writeEmptyArchive(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := archive.NewWriter(f, archive.NDJSON)
	if err == nil {
		err = w.Close()
	}
	if err := errors.Join(err, f.Close()); err != nil {
		t.Fatal(err)
	}
}
