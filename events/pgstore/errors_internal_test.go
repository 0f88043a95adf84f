package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"hive/events"
)

// TestTranslate maps the driver's errors onto the contract's.
func TestTranslate(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	pgErr := func(code string) error { return &pgconn.PgError{Code: code, Message: "m"} }
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		ctx  context.Context
		err  error
		want error // errors.Is; nil: none of the sentinels
	}{
		{"connection refused", context.Background(), refused, events.ErrUnavailable},
		{"connection lost", context.Background(), fmt.Errorf("read: %w", io.ErrUnexpectedEOF), events.ErrUnavailable},
		{"connection closed", context.Background(), fmt.Errorf("x: %w", pgconn.ErrConnClosed), events.ErrUnavailable},
		{"admin shutdown", context.Background(), pgErr(codeAdminShutdown), events.ErrUnavailable},
		{"crash shutdown", context.Background(), pgErr(codeCrashShutdown), events.ErrUnavailable},
		{"starting up", context.Background(), pgErr(codeCannotConnectNow), events.ErrUnavailable},
		{"too many connections", context.Background(), pgErr(codeTooManyConnections), events.ErrUnavailable},
		{"connection failure class", context.Background(), pgErr("08006"), events.ErrUnavailable},
		{"read-only server", context.Background(), pgErr(codeReadOnlyTx), events.ErrUnavailable},
		{"store's own timeout", context.Background(), context.DeadlineExceeded, events.ErrUnavailable},
		{"caller's cancellation", canceled, context.Canceled, context.Canceled},
		{"NUL in text", context.Background(), pgErr(codeCharNotInEncoding), events.ErrInvalidArgument},
		{"wrong password", context.Background(), pgErr("28P01"), nil},
		{"syntax error", context.Background(), pgErr("42601"), nil},
	}
	sentinels := []error{events.ErrUnavailable, events.ErrInvalidArgument, context.Canceled}
	for _, tc := range tests {
		got := translate(tc.ctx, "op", tc.err)
		for _, s := range sentinels {
			if want := s == tc.want; errors.Is(got, s) != want {
				t.Errorf("%s: translate = %v; errors.Is(%v) = %v, want %v", tc.name, got, s, !want, want)
			}
		}
		if !errors.Is(got, tc.err) {
			t.Errorf("%s: translate = %v, which does not wrap the driver's error", tc.name, got)
		}
	}
}
