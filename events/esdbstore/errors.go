package esdbstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"hive/events"
)

// Errors of the store besides the contract's sentinels.
var (
	// ErrUnauthenticated: EventStoreDB refused the credentials in the URL.
	ErrUnauthenticated = errors.New("EventStoreDB refused the credentials")
	// ErrAccessDenied: EventStoreDB's access control lists refuse the user
	// an operation Hive needs (reading $all, writing its streams or the
	// "$snapshot-" streams).
	ErrAccessDenied = errors.New("EventStoreDB denied access")
	// ErrForeignEvent: an event in one of Hive's streams (any stream whose
	// name does not start with "$") was not written by Hive, or was written
	// in a way Hive cannot represent. The database should be Hive's alone.
	ErrForeignEvent = errors.New("event not written by Hive")
)

// translate turns an error of the client (or of gRPC) for an operation
// described by op into the contract's errors: the context's own error if
// ctx ended; ErrClosed once the store is closed; events.ErrUnavailable for
// a server that cannot be reached, restarts, is not the leader, does not
// answer within the client's own deadline, or ends a call while the client
// is still sending to it; ErrInvalidArgument for a request the server
// refuses as such; ErrUnauthenticated and ErrAccessDenied. Anything else is
// wrapped as it is.
func (s *Store) translate(ctx context.Context, op string, err error) error {
	switch {
	case err == nil:
		return nil
	case ended(ctx) != nil:
		return fmt.Errorf("esdbstore: %s: %w", op, ended(ctx))
	case s.closed.Load():
		return events.ErrClosed
	}
	switch code(err) {
	case kurrentdb.ErrorUnavailable, kurrentdb.ErrorCodeConnectionClosed, kurrentdb.ErrorCodeNotLeader, kurrentdb.ErrorAborted:
		return fmt.Errorf("%w: %s: %v", events.ErrUnavailable, op, err)
	case kurrentdb.ErrorCodeDeadlineExceeded:
		return fmt.Errorf("%w: %s: no answer in time: %w", events.ErrUnavailable, op, context.DeadlineExceeded)
	case kurrentdb.ErrorCodeUnauthenticated:
		return fmt.Errorf("esdbstore: %s: %w", op, ErrUnauthenticated)
	case kurrentdb.ErrorCodeAccessDenied:
		return fmt.Errorf("esdbstore: %s: %w", op, ErrAccessDenied)
	}
	if errors.Is(err, io.EOF) {
		// The server ended a call while the client was still sending to
		// it; the client does not ask why. It stored nothing: EventStoreDB
		// acts on an append only once it has received all of it.
		return fmt.Errorf("%w: %s: the server ended the call: %v", events.ErrUnavailable, op, err)
	}
	if status.Code(err) == codes.InvalidArgument {
		return fmt.Errorf("%w: %s: EventStoreDB refused the request: %v", events.ErrInvalidArgument, op, err)
	}
	return fmt.Errorf("esdbstore: %s: %w", op, err)
}

// code returns the client's error code of err, looking at gRPC's status
// when the client did not classify the error.
func code(err error) kurrentdb.ErrorCode {
	var kerr *kurrentdb.Error
	if errors.As(err, &kerr) && kerr.Code() != kurrentdb.ErrorCodeUnknown {
		return kerr.Code()
	}
	switch status.Code(err) {
	case codes.Unavailable:
		return kurrentdb.ErrorUnavailable
	case codes.DeadlineExceeded:
		return kurrentdb.ErrorCodeDeadlineExceeded
	case codes.Unauthenticated:
		return kurrentdb.ErrorCodeUnauthenticated
	case codes.PermissionDenied:
		return kurrentdb.ErrorCodeAccessDenied
	case codes.Aborted:
		return kurrentdb.ErrorAborted
	}
	return kurrentdb.ErrorCodeUnknown
}

// ended returns ctx's error, or context.DeadlineExceeded once its deadline
// has passed: gRPC can fail a call at the deadline a moment before the
// context says it has ended.
func ended(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if dl, ok := ctx.Deadline(); ok && !time.Now().Before(dl) {
		return context.DeadlineExceeded
	}
	return nil
}
