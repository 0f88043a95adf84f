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

// Fatalf logs at Error and exits the process. Pebble calls it for failures
// it cannot survive, above all a failed WAL write or fsync, and its contract
// is that Fatalf does not return: if it did, pebble would report the failed
// commit as a success, and the store would acknowledge appends that are not
// durable. Exiting leaves the directory as a crash would, and the WAL
// recovers every acknowledged append on the next Open.
func (l pebbleLogger) Fatalf(format string, args ...any) {
	l.log.Error("pebble fatal error, exiting", "line", message(format, args))
	os.Exit(1)
}

func message(format string, args []any) string {
	return strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")
}
