package pebblestore

import "errors"

// ErrCorrupt: a record read from pebble does not decode as this package
// wrote it (a truncated key, an id that is not 16 bytes, an index entry
// pointing at a missing event). It means the directory was damaged or
// written by something else; the store never produces it itself.
var ErrCorrupt = errors.New("pebblestore: corrupt record")
