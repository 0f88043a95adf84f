package esdbstore_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"hive/events"
	"hive/events/esdbstore"
	"hive/events/esdbstore/esdbdouble"
	"hive/events/storetest"
)

func TestOpenAcceptsEveryURLForm(t *testing.T) {
	srv := esdbdouble.Start(t)
	for _, scheme := range esdbstore.Schemes {
		t.Run(scheme, func(t *testing.T) {
			s := openStore(t, esdbstore.Config{URL: scheme + "://" + srv.Addr() + "?tls=false"})
			storetest.MustAppend(t, s, "via-"+strings.ReplaceAll(scheme, "+", "-"), events.NoStream(), storetest.NewEvents(t, "x", 1))
		})
	}
}

func TestOpenRefusesBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  esdbstore.Config
		want string // in the error
	}{
		{"empty URL", esdbstore.Config{}, "URL is empty"},
		{"other scheme", esdbstore.Config{URL: "postgres://localhost:5432/hive"}, `scheme "postgres"`},
		{"no scheme", esdbstore.Config{URL: "localhost:2113"}, "scheme"},
		{"bad port", esdbstore.Config{URL: "esdb://admin:s3cret@localhost:port?tls=false"}, "malformed"},
		{"bad setting", esdbstore.Config{URL: "esdb://admin:s3cret@localhost:2113?tls=maybe"}, "malformed"},
		{"bad host list", esdbstore.Config{URL: "esdb://admin:s3cret@host1:2113,host2:x?tls=false"}, "malformed"},
		{"negative event size", esdbstore.Config{URL: "esdb://localhost", MaxEventSize: -1}, "MaxEventSize"},
		{"replay window too large", esdbstore.Config{URL: "esdb://localhost", ReplayWindow: 5000}, "ReplayWindow"},
		{"system stream prefix", esdbstore.Config{URL: "esdb://localhost", StreamPrefix: "$hive-"}, "StreamPrefix"},
	}
	for _, tc := range tests {
		_, err := esdbstore.Open(context.Background(), tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one mentioning %q", tc.name, err, tc.want)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: the error shows the password: %v", tc.name, err)
		}
	}
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

func TestOpenFailsFast(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(t *testing.T) string // returns the URL
		target error
		want   string
	}{
		{"unreachable server", func(t *testing.T) string {
			return "esdb://" + freeAddr(t) + "?tls=false"
		}, events.ErrUnavailable, "cannot reach EventStoreDB"},
		{"server not answering", func(t *testing.T) string {
			srv := esdbdouble.Start(t)
			srv.Inject(esdbdouble.Read, esdbdouble.Hang, -1)
			return srv.URL()
		}, events.ErrUnavailable, "did not answer within"},
		{"credentials refused", func(t *testing.T) string {
			srv := esdbdouble.Start(t)
			srv.Inject(esdbdouble.Read, esdbdouble.Unauthenticated, -1)
			return srv.URL()
		}, esdbstore.ErrUnauthenticated, "refused user"},
		{"$all not readable", func(t *testing.T) string {
			srv := esdbdouble.Start(t)
			srv.Inject(esdbdouble.Read, esdbdouble.AccessDenied, -1)
			return srv.URL()
		}, esdbstore.ErrAccessDenied, "read $all"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			url := tc.setup(t)
			start := time.Now()
			s, err := esdbstore.Open(context.Background(), esdbstore.Config{URL: url, ConnectTimeout: 3 * time.Second})
			if err == nil {
				_ = s.Close()
				t.Fatal("Open succeeded")
			}
			if !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %v mentioning %q", err, tc.target, tc.want)
			}
			if strings.Count(err.Error(), "\n") > 0 {
				t.Errorf("the error is not one line: %q", err)
			}
			if took := time.Since(start); took > 6*time.Second {
				t.Errorf("Open took %v to fail, want at most about its 3s timeout", took)
			}
		})
	}
}
