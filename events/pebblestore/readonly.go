package pebblestore

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"hive/events"
)

// OpenReadOnly opens the existing store in cfg.Dir for reading only, as the
// offline audit tools do: pebble in ReadOnly mode (the WAL is replayed in
// memory, no file is written, compacted or deleted), no writer or
// committer goroutine, and Append and SaveSnapshot refused with
// ErrReadOnly. The head is the one found on open: the store does not see
// later appends, which cannot happen while it is open, since it holds the
// directory's lock like a writable store: a directory that a server (or
// any other Store) holds is refused with ErrInUse, and a server started
// meanwhile fails to open it. A missing directory is refused with
// ErrNoStore. Of cfg, only Dir, CacheSize and Logger matter.
func OpenReadOnly(cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pebblestore: invalid config: %w", err)
	}
	if _, err := os.Stat(cfg.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoStore, cfg.Dir)
	}
	lock, err := pebble.LockDirectory(cfg.Dir, vfs.Default)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInUse, cfg.Dir, err)
	}
	opts := pebbleOptions(&cfg)
	opts.ReadOnly = true
	opts.ErrorIfNotExists = true
	opts.Lock = lock
	db, err := pebble.Open(cfg.Dir, opts)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("pebblestore: open %s read-only: %w", cfg.Dir, err), lock.Close())
	}
	head, err := recoverHead(db)
	if err != nil {
		return nil, errors.Join(joinClose(err, db), lock.Close())
	}
	s := &Store{
		cfg:      cfg,
		db:       db,
		log:      cfg.Logger,
		commits:  events.NewSignal(),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
		readOnly: true,
		unlock:   lock.Close,
	}
	close(s.stopped) // no writer to stop
	s.head.Store(head)
	s.log.Info("event store opened read-only", "dir", cfg.Dir, "head", head)
	return s, nil
}
