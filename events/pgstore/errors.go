package pgstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"

	"github.com/jackc/pgx/v5/pgconn"

	"hive/events"
)

// PostgreSQL's error codes the store translates
// (https://www.postgresql.org/docs/15/errcodes-appendix.html).
const (
	codeUniqueViolation    = "23505"
	codeCharNotInEncoding  = "22021" // e.g. NUL in text
	codeUntranslatable     = "22P05"
	codeAdminShutdown      = "57P01"
	codeCrashShutdown      = "57P02"
	codeCannotConnectNow   = "57P03"
	codeTooManyConnections = "53300"
	codeReadOnlyTx         = "25006" // a standby, or a primary being demoted
	classConnection        = "08"
)

// translate turns an error of the driver into the contract's errors,
// wrapped with what failed: the server unreachable, gone or restarting
// becomes events.ErrUnavailable, text PostgreSQL cannot store becomes
// events.ErrInvalidArgument. The caller's own context errors stay as they
// are; a timeout of the store's own (a write or connect timeout) means the
// server did not answer, so it is unavailable too.
func translate(ctx context.Context, what string, err error) error {
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil && errors.Is(err, ctxErr) {
		return fmt.Errorf("pgstore: %s: %w", what, ctxErr)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == codeCharNotInEncoding, pgErr.Code == codeUntranslatable:
			return fmt.Errorf("pgstore: %s: %w: %w", what, events.ErrInvalidArgument, err)
		case unavailableCode(pgErr.Code):
			return fmt.Errorf("pgstore: %s: %w: %w", what, events.ErrUnavailable, err)
		}
		return fmt.Errorf("pgstore: %s: %w", what, err)
	}
	if unreachable(err) {
		return fmt.Errorf("pgstore: %s: %w: %w", what, events.ErrUnavailable, err)
	}
	return fmt.Errorf("pgstore: %s: %w", what, err)
}

func unavailableCode(code string) bool {
	switch code {
	case codeAdminShutdown, codeCrashShutdown, codeCannotConnectNow, codeTooManyConnections, codeReadOnlyTx:
		return true
	}
	return len(code) == 5 && code[:2] == classConnection
}

// unreachable reports whether err says the server could not be reached or
// the connection was lost, rather than that a statement failed.
func unreachable(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connectErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)
}

// isUniqueViolation reports whether err is a unique-constraint violation,
// and of which constraint.
func isUniqueViolation(err error) (constraint string, ok bool) {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeUniqueViolation {
		return pgErr.ConstraintName, true
	}
	return "", false
}

// ErrSchemaTooNew: the database was migrated by a newer Hive, whose
// schema this one does not know. Open refuses it rather than write to it.
var ErrSchemaTooNew = errors.New("pgstore: schema too new")

// ErrCorrupt: a row of Hive's tables holds what Hive never writes, such
// as a hash of the wrong length: the database was changed by hand.
var ErrCorrupt = errors.New("pgstore: corrupt row")
