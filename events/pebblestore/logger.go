package pebblestore

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// pebbleLogger hands pebble's log lines to the injected slog logger, so that
// pebble never writes to stderr on its own.
type pebbleLogger struct {
	log *slog.Logger
}

// Infof logs at Debug: pebble's informational lines are for its developers.
func (l pebbleLogger) Infof(format string, args ...any) {
	l.log.Debug("pebble", "line", message(format, args))
}

// Errorf logs at Error.
func (l pebbleLogger) Errorf(format string, args ...any) {
	l.log.Error("pebble error", "line", message(format, args))
}

// fatalCommitFormat is the format of the Fatalf by which pebble reports a
// batch it failed to commit (a failed WAL write or fsync, such as on a full
// disk). It only comes from the goroutine committing the batch: pebble's
// Apply, which the store calls in write.
const fatalCommitFormat = "pebble: fatal commit error: %v"

// commitFailure carries a failed commit's error from Fatalf, by a panic,
// to write.
type commitFailure struct{ err error }

// Fatalf reports a failure pebble cannot survive. Its contract is that it
// does not return: if it did, pebble would report a failed commit as a
// success, and the store would acknowledge appends that are not durable.
// A failed commit panics with a commitFailure, which write, on the same
// goroutine, recovers into an error: the store then refuses every later
// write (see Store.fail) but goes on serving reads. Any other fatal error
// is logged and exits the process, which leaves the directory as a crash
// would: the WAL recovers every acknowledged append on the next Open.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	if format == fatalCommitFormat && len(args) == 1 {
		if err, ok := args[0].(error); ok {
			panic(commitFailure{err: err})
		}
	}
	l.log.Error("pebble fatal error, exiting", "line", message(format, args))
	os.Exit(1)
}

// write runs apply, a pebble write (a batch commit, a Set), and returns a
// failed commit that pebble reported through Fatalf as its error, marked
// with events.ErrNoSpace when the disk was full.
func write(apply func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			f, ok := p.(commitFailure)
			if !ok {
				panic(p)
			}
			err = f.err
		}
		err = noSpace(err)
	}()
	return apply()
}

func message(format string, args []any) string {
	return strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")
}
