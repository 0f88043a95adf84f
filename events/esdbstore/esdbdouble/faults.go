package esdbdouble

import (
	"context"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Op names a kind of call the double can be told to fail.
type Op uint8

const (
	// Append is the Streams.Append call.
	Append Op = iota + 1
	// Read is a Streams.Read call that reads (a stream or $all).
	Read
	// Subscribe is a Streams.Read call that subscribes.
	Subscribe
	// Features is the ServerFeatures call clients make when they connect.
	Features
)

// Fault is a failure the double produces on command.
type Fault uint8

const (
	// Unavailable fails the call with gRPC's Unavailable before it does
	// anything, as a server that is restarting does.
	Unavailable Fault = iota + 1
	// Hang holds the call until the client gives up on it (its deadline
	// passes or it cancels), doing nothing.
	Hang
	// Unauthenticated fails the call as a server refusing the client's
	// credentials does.
	Unauthenticated
	// AccessDenied fails the call as a server whose access control lists
	// refuse the user does.
	AccessDenied
	// WrongExpectedVersion answers an append with a wrong-expected-version
	// result carrying the stream's true revision, writing nothing, as if
	// another writer had just extended the stream. Append only.
	WrongExpectedVersion
	// CommitThenUnavailable writes an append's events, then fails the call
	// with Unavailable, so that the client cannot know the outcome. Append
	// only.
	CommitThenUnavailable
)

// injected is a fault armed for the next times calls of an op; times < 0
// arms it until Clear.
type injected struct {
	fault Fault
	times int
}

// faults holds the armed faults.
type faults struct {
	mu   sync.Mutex
	byOp map[Op][]injected
}

func (f *faults) inject(op Op, fault Fault, times int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.byOp == nil {
		f.byOp = map[Op][]injected{}
	}
	f.byOp[op] = append(f.byOp[op], injected{fault: fault, times: times})
}

func (f *faults) clear() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.byOp = nil
}

// take consumes and returns the fault armed for the next call of op, 0 if
// none is.
func (f *faults) take(op Op) Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	armed := f.byOp[op]
	if len(armed) == 0 {
		return 0
	}
	fault := armed[0].fault
	if armed[0].times > 0 {
		armed[0].times--
	}
	if armed[0].times == 0 {
		f.byOp[op] = armed[1:]
	}
	return fault
}

// failure returns the error a call fails with under fault, after holding
// it for Hang; nil for the faults that are not plain failures.
func failure(ctx context.Context, fault Fault) error {
	switch fault {
	case Unavailable:
		return status.Error(codes.Unavailable, "esdbdouble: server unavailable (injected)")
	case Hang:
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	case Unauthenticated:
		return status.Error(codes.Unauthenticated, "esdbdouble: bad username or password (injected)")
	case AccessDenied:
		_ = grpc.SetTrailer(ctx, metadata.Pairs("exception", "access-denied"))
		return status.Error(codes.PermissionDenied, "Access Denied")
	}
	return nil
}
