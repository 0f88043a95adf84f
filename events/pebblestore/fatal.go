package pebblestore

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ErrFatal: pebble reported a failure it cannot survive (through its
// logger's Fatalf) while the store read the log read-only; the error
// carries pebble's message. The store may not be used any more, except to
// Close it, which then leaves pebble as it is.
var ErrFatal = errors.New("pebblestore: pebble failed fatally")

// fatalPanic is what readOnlyLogger.Fatalf panics with, for recoverFatal.
type fatalPanic struct{ msg string }

// readOnlyLogger is the pebble logger of a read-only store: its Fatalf
// does not exit the process, as a writable store's must (see
// pebbleLogger.Fatalf), but panics with fatalPanic, which the store's
// methods turn into an ErrFatal error; a read-only store has nothing to
// lose by failing, and an offline tool must say why it stopped. Read-only,
// pebble runs nothing in the background that could call it (table stats
// are disabled), so Fatalf is only ever called beneath a store method.
type readOnlyLogger struct{ pebbleLogger }

// Fatalf logs at Error and panics with fatalPanic.
func (l readOnlyLogger) Fatalf(format string, args ...any) {
	msg := message(format, args)
	l.log.Error("pebble fatal error", "line", msg)
	panic(fatalPanic{msg: msg})
}

// recoverFatal, deferred, turns a fatalPanic into *err and marks s
// broken (s may be nil, while opening). Other panics go on.
func recoverFatal(s *Store, err *error) {
	r := recover()
	if r == nil {
		return
	}
	f, ok := r.(fatalPanic)
	if !ok {
		panic(r)
	}
	if s != nil {
		s.broken.Store(true)
	}
	*err = fmt.Errorf("%w: %s", ErrFatal, f.msg)
}

// readOnlyOptions are the pebble options of a read-only open: pebble's
// ReadOnly mode on an existing database, table stats (a background job)
// off, Fatalf as readOnlyLogger's, and data corruption reported as an
// error by the read that met it rather than through Fatalf (pebble's
// default when it has a logger).
func readOnlyOptions(cfg *Config) *pebble.Options {
	opts := pebbleOptions(cfg)
	opts.ReadOnly = true
	opts.ErrorIfNotExists = true
	opts.DisableTableStats = true
	opts.Logger = readOnlyLogger{pebbleLogger{log: cfg.Logger}}
	log := cfg.Logger
	opts.EventListener = &pebble.EventListener{DataCorruption: func(info pebble.DataCorruptionInfo) {
		log.Error("pebble found corrupt data", "path", info.Path, "err", info.Details.Error())
	}}
	return opts
}
