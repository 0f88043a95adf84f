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
//
// A write-ahead log that pebble cannot replay is refused with
// ErrLogDamaged. A log that falls short of the head mark (see Mark) is
// opened, with a warning logged, so that what is left can still be read;
// Verify then fails with the *LogLossError. Pebble's fatal errors become
// ErrFatal errors (see readOnlyLogger).
func OpenReadOnly(cfg Config) (s *Store, err error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pebblestore: invalid config: %w", err)
	}
	if _, err := os.Stat(cfg.Dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoStore, cfg.Dir)
	}
	lock, err := lockDir(cfg.Dir, vfs.Default)
	if err != nil {
		return nil, err
	}
	recorded, found, err := readMark(cfg.Dir)
	if err != nil {
		return nil, errors.Join(err, lock.Close())
	}
	defer recoverFatal(nil, &err) // leaves pebble and the lock: the process is to end
	opts := readOnlyOptions(&cfg)
	opts.Lock = lock
	db, err := pebble.Open(cfg.Dir, opts)
	if err != nil {
		return nil, errors.Join(openError(cfg.Dir, err), lock.Close())
	}
	head, err := recoverHead(db)
	var lost error
	if err == nil && found {
		if lost = checkMark(db, cfg.Dir, head, recorded); !errors.Is(lost, ErrLogDamaged) {
			err, lost = lost, nil
		}
	}
	if err != nil {
		return nil, errors.Join(joinClose(err, db), lock.Close())
	}
	s = &Store{
		cfg:      cfg,
		db:       db,
		log:      cfg.Logger,
		commits:  events.NewSignal(),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
		readOnly: true,
		unlock:   lock.Close,
		lost:     lost,
	}
	close(s.stopped) // no writer to stop
	s.head.Store(head)
	s.log.Info("event store opened read-only", "dir", cfg.Dir, "head", head)
	if lost != nil {
		s.log.Warn("the event log is damaged: acknowledged events are missing", "err", lost)
	}
	return s, nil
}
