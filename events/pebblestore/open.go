package pebblestore

import (
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// opened is a store directory opened for writing: pebble, its lock, the
// log's head and the head mark.
type opened struct {
	db   *pebble.DB
	lock *pebble.Lock
	head uint64
	mark *headMark
}

// openWritable makes cfg.Dir private, locks it, checks its log against
// the head mark (checkLog), and only then opens pebble for writing and the
// mark for the committer.
func openWritable(cfg *Config, d *disk) (_ *opened, err error) {
	if err := makePrivateDir(cfg.Dir); err != nil {
		return nil, err
	}
	fsys := privateFS{vfs.Default}
	lock, err := lockDir(cfg.Dir, fsys)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			err = errors.Join(err, lock.Close())
		}
	}()
	reset, err := checkLog(cfg, lock)
	if err != nil {
		return nil, err
	}
	opts := pebbleOptions(cfg)
	opts.FS, opts.Lock = fsys, lock
	d.watch(opts)
	db, err := pebble.Open(cfg.Dir, opts)
	if err != nil {
		return nil, openError(cfg.Dir, noSpace(err))
	}
	o := &opened{db: db, lock: lock}
	if o.head, err = recoverHead(db); err == nil {
		o.mark, err = startMark(cfg.Dir, db, o.head, reset)
	}
	if err != nil {
		return nil, joinClose(err, db)
	}
	return o, nil
}

// startMark opens the head mark for the committer, recording the head at
// once, or replacing the mark if reset.
func startMark(dir string, db *pebble.DB, head uint64, reset bool) (*headMark, error) {
	m, err := markAt(db, head)
	if err != nil {
		return nil, err
	}
	hm, err := openMark(dir, m, reset)
	if err != nil || reset {
		return hm, err
	}
	if err := errors.Join(hm.record(m), hm.sync()); err != nil {
		return nil, errors.Join(err, hm.f.Close())
	}
	return hm, nil
}

// checkLog opens the store in cfg.Dir read-only, which writes nothing (a
// damaged write-ahead log stays as it is, to be looked at), and checks
// that pebble replays its log whole and that the log reaches the head
// mark and cfg.Evidence. A damaged log is refused with ErrLogDamaged, unless
// cfg.AcceptLogLoss: then a write-ahead log that pebble cannot replay is
// cut where its damage starts (cutWAL), the loss is logged, and checkLog
// reports that the mark must be reset to the log as it is.
func checkLog(cfg *Config, lock *pebble.Lock) (reset bool, err error) {
	recorded, found, err := readMark(cfg.Dir)
	if err != nil {
		if !cfg.AcceptLogLoss {
			return false, err
		}
		cfg.Logger.Warn("event store: accepting an unreadable head mark; it is replaced", "dir", cfg.Dir, "err", err)
		reset = true
	}
	for cuts := 0; ; cuts++ {
		err := peekLog(cfg, lock, recorded, found)
		var lost *LogLossError
		var damaged *walError
		switch {
		case err == nil:
			return reset, nil
		case errors.As(err, &lost) && cfg.AcceptLogLoss:
			cfg.Logger.Warn("event store: accepting the loss of acknowledged events; the head mark is reset to the log's head",
				"dir", cfg.Dir, "evidence", lost.Evidence, "recorded_position", lost.Recorded.Position, "head", lost.Head, "missing", lost.Missing(), "replaced", lost.Replaced)
			return true, nil
		case errors.As(err, &damaged) && cfg.AcceptLogLoss && cuts == 0:
			kept, cerr := cutWAL(cfg.Dir, damaged.num)
			if cerr != nil {
				return false, errors.Join(err, cerr)
			}
			cfg.Logger.Warn("event store: accepting a damaged write-ahead log: cut where its damage starts; the log files from there on are kept aside",
				"dir", cfg.Dir, "wal", damaged.num, "kept", kept, "damage", damaged.err.Error())
			reset = true
		default:
			return false, err
		}
	}
}

// peekLog opens the store read-only and checks its log against the mark
// recorded, if found, and against cfg.Evidence. A directory without a
// database is an empty log. Pebble's fatal errors become ErrFatal errors.
func peekLog(cfg *Config, lock *pebble.Lock, recorded Mark, found bool) (err error) {
	defer recoverFatal(nil, &err) // leaves pebble as it is: Open fails
	opts := readOnlyOptions(cfg)
	opts.Lock = lock
	db, err := pebble.Open(cfg.Dir, opts)
	if errors.Is(err, pebble.ErrDBDoesNotExist) {
		if found && recorded.Position > 0 {
			return checkMark(nil, cfg.Dir, 0, recorded)
		}
		return checkEvidence(cfg.Evidence, 0)
	}
	if err != nil {
		return openError(cfg.Dir, err)
	}
	head, err := recoverHead(db)
	if err == nil && found {
		err = checkMark(db, cfg.Dir, head, recorded)
	}
	if err == nil {
		err = checkEvidence(cfg.Evidence, head)
	}
	return joinCloseErr(err, db)
}

// openError is err, pebble's error opening the store in dir: a *walError
// if it is a write-ahead log that pebble cannot replay.
func openError(dir string, err error) error {
	if num, ok := damagedWAL(err); ok {
		return &walError{dir: dir, num: num, err: err}
	}
	return fmt.Errorf("pebblestore: open %s: %w", dir, err)
}

// joinCloseErr closes db, keeping err and the close's error.
func joinCloseErr(err error, db *pebble.DB) error {
	return errors.Join(err, db.Close())
}
