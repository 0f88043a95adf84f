package pebblestore

import "errors"

// ErrCorrupt: a record read from pebble does not decode as this package
// wrote it (a truncated key, an id that is not 16 bytes, an index entry
// pointing at a missing event). It means the directory was damaged or
// written by something else; the store never produces it itself.
var ErrCorrupt = errors.New("pebblestore: corrupt record")

// ErrReadOnly: an append or snapshot save on a store opened with
// OpenReadOnly.
var ErrReadOnly = errors.New("pebblestore: the store is open read-only")

// ErrInUse: OpenReadOnly found the directory locked by another open store,
// typically a running server's. Read its log through the server's API
// instead, or stop the server.
var ErrInUse = errors.New("pebblestore: the data dir is in use by another process (a running server?)")

// ErrNoStore: OpenReadOnly found no directory to open.
var ErrNoStore = errors.New("pebblestore: no event store")

// ErrLogDamaged: the log lost events it once acknowledged, or cannot be
// read whole.
var ErrLogDamaged = errors.New("pebblestore: the event log is damaged")
