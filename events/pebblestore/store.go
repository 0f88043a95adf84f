package pebblestore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"

	"hive/events"
)

// subscriptionPageSize is how many events a subscription reads at a time.
const subscriptionPageSize = 1024

// Store is the embedded, durable events.Store. It is safe for concurrent
// use. Appends go through the writer and committer goroutines, which commit
// them in groups; reads go straight to pebble and see only committed
// groups. See the package documentation.
type Store struct {
	cfg     Config
	db      *pebble.DB
	log     *slog.Logger
	commits *events.Signal
	reqs    chan *request // unbuffered: a request sent has been taken by the writer
	done    chan struct{} // closed by Close
	stopped chan struct{} // closed when the writer and committer have returned

	// head is the position of the newest committed event. The committer
	// stores it after each commit; readers bound their scans by it, so they
	// never see a batch before its fsync has completed.
	head atomic.Uint64
	// failure holds the sticky error of a failed commit.
	failure atomic.Pointer[error]
	// disk refuses writes that would leave the disk too full.
	disk  *disk
	stats counters
	// appending counts the Append calls past validation and not yet
	// returned; the writer lingers for those it has not seen yet.
	appending atomic.Int64

	// dbMu guards the use of db against Close: readers hold it shared while
	// they use db, Close takes it exclusively to close db. The writer and
	// committer do not take it: Close stops them before it closes db.
	dbMu   sync.RWMutex
	closed bool
	// snapMu orders snapshot saves (see SaveSnapshot).
	snapMu sync.Mutex

	// readOnly is set by OpenReadOnly: there is no writer.
	readOnly bool
	// unlock releases the directory lock after pebble is closed.
	unlock func() error
	// mark is the head mark, which the committer keeps up to date; nil
	// when read-only.
	mark *headMark
	// lost is the *LogLossError a read-only open found, which Verify
	// reports.
	lost error
	// broken is set once pebble failed fatally beneath a read-only
	// store's method: Close then leaves pebble alone.
	broken atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

var _ events.Store = (*Store)(nil)

// Open opens (creating if needed) the store in cfg.Dir, recovers its head
// position and starts its writer and committer. Close releases it.
//
// The directory and what is in it are made private to their owner (0700
// and 0600). A directory another process holds is refused with ErrInUse,
// naming that process when the system says which. A damaged log is
// refused with ErrLogDamaged (see Mark and LogLossError), before anything
// is written, unless cfg.AcceptLogLoss. On a disk with less space free
// than opening needs (pebble writes its log into tables on open), it fails
// at once with events.ErrNoSpace.
func Open(cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pebblestore: invalid config: %w", err)
	}
	d := newDisk(&cfg)
	if err := d.roomToOpen(); err != nil {
		return nil, err
	}
	o, err := openWritable(&cfg, d)
	if err != nil {
		return nil, err
	}
	s := &Store{
		cfg:     cfg,
		db:      o.db,
		log:     cfg.Logger,
		disk:    d,
		commits: events.NewSignal(),
		reqs:    make(chan *request),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
		unlock:  o.lock.Close,
		mark:    o.mark,
	}
	s.head.Store(o.head)
	startWriter(s, o.head+1)
	s.log.Info("event store opened", "dir", cfg.Dir, "head", o.head)
	return s, nil
}

// pebbleOptions configures pebble for an append-mostly log: the WAL on and
// synced by every commit (pebble.Sync, never disabled), a block cache for
// reads, large memtables so that flushes are rare, 32 KiB blocks because
// the log is mostly read in long scans, and pebble's logging routed to the
// injected logger. Bloom filters serve the one point lookup of a key that
// is usually absent: whether a stream exists (see loadStreamHead).
func pebbleOptions(cfg *Config) *pebble.Options {
	opts := &pebble.Options{
		CacheSize:    cfg.CacheSize,
		MemTableSize: cfg.MemTableSize,
		// An explicit format, as pebble recommends: the newest of the pinned
		// pebble release. Raising it later is a one-way migration on Open.
		FormatMajorVersion: pebble.FormatValueSeparation,
		Logger:             pebbleLogger{log: cfg.Logger},
	}
	opts.Levels[0].BlockSize = 32 << 10 // inherited by every level
	opts.Levels[0].FilterPolicy = bloom.FilterPolicy(10)
	opts.Levels[0].FilterType = pebble.TableFilter
	return opts
}

// recoverHead returns the position of the last event in the log.
func recoverHead(db *pebble.DB) (head uint64, err error) {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixLog}, UpperBound: []byte{prefixLog + 1}})
	if err != nil {
		return 0, fmt.Errorf("pebblestore: recover head: %w", err)
	}
	defer closeIter(it, &err)
	if !it.Last() {
		return 0, nil
	}
	pos, ok := logKeyPosition(it.Key())
	if !ok {
		return 0, fmt.Errorf("%w: log key %x", ErrCorrupt, it.Key())
	}
	return pos, nil
}

// Append implements events.Store. It returns once the group holding the
// append has been committed with an fsync. If ctx ends after the writer
// took the append, Append returns ctx's error, but the events may still
// commit, exactly as if the reply had been lost: retry with the same event
// ids, and the retry returns the original result.
//
// Besides the errors of the contract, it refuses with
// events.ErrInvalidArgument an event whose type or metadata is not valid
// UTF-8 (protobuf strings must be) and an append estimated larger than
// MaxBatchBytes, and after a failed commit it returns that failure. A
// store opened with OpenReadOnly refuses every append with ErrReadOnly.
func (s *Store) Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error) {
	if s.readOnly {
		return events.AppendResult{}, fmt.Errorf("append to %q: %w", stream, ErrReadOnly)
	}
	if err := s.usable(ctx); err != nil {
		return events.AppendResult{}, err
	}
	req, err := s.newRequest(stream, expected, evs)
	if err != nil {
		return events.AppendResult{}, err
	}
	if s.disk.low.Load() {
		if err := s.disk.room(req.size); err != nil {
			return events.AppendResult{}, fmt.Errorf("append to %q: %w", stream, err)
		}
	}
	s.appending.Add(1)
	defer s.appending.Add(-1)
	select {
	case s.reqs <- req:
	case <-s.done:
		return events.AppendResult{}, events.ErrClosed
	case <-ctx.Done():
		return events.AppendResult{}, ctx.Err()
	}
	select {
	case r := <-req.reply:
		return r.res, r.err
	case <-ctx.Done():
		req.abandoned.Store(true)
		return events.AppendResult{}, ctx.Err()
	}
}

// usable fails with ctx's error, ErrClosed, or the sticky commit failure.
func (s *Store) usable(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-s.done:
		return events.ErrClosed
	default:
	}
	if err := s.failure.Load(); err != nil {
		return *err
	}
	return nil
}

// Head implements events.Store.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.closed {
		return 0, events.ErrClosed
	}
	return s.head.Load(), nil
}

// SubscribeAll implements events.Store. The subscription reads committed
// pages with ReadAll and waits for the committer's broadcast after each
// commit.
func (s *Store) SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case <-s.done:
		return nil, events.ErrClosed
	default:
	}
	return events.NewSubscription(s, s.commits, s.done, after, subscriptionPageSize), nil
}

// closeWait bounds how long Close waits for a commit still inside pebble.
const closeWait = 10 * time.Second

// Close stops taking appends (those still waiting to be taken fail with
// events.ErrClosed), lets the writer and committer finish the appends they
// took, ends subscriptions and closes pebble. It is idempotent: later calls
// return the first call's result. After Close every method fails with
// events.ErrClosed.
//
// A commit can wait inside pebble for as long as its disk stays full. Close
// waits for it at most closeWait, then returns an error and leaves the
// rest of closing to happen when the commit returns: a process stopping
// then exits with the directory as a crash leaves it, from which every
// acknowledged append is recovered.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		closed := make(chan error, 1)
		go func() { closed <- s.shut() }()
		t := time.NewTimer(closeWait)
		defer t.Stop()
		select {
		case s.closeErr = <-closed:
		case <-t.C:
			s.closeErr = fmt.Errorf("pebblestore: close %s: a commit has waited inside pebble for %v (is the disk full?); it closes when the commit returns", s.cfg.Dir, closeWait)
			s.log.Error("event store not closed", "dir", s.cfg.Dir, "err", s.closeErr)
		}
	})
	return s.closeErr
}

// shut is Close once the writer and committer have been told to stop.
func (s *Store) shut() (err error) {
	<-s.stopped
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	s.closed = true
	if s.mark != nil {
		err = s.mark.close()
	}
	if s.broken.Load() {
		return err // pebble may be stuck halfway: the process is to end
	}
	if cerr := s.db.Close(); cerr != nil {
		err = errors.Join(err, fmt.Errorf("pebblestore: close: %w", cerr))
	}
	if s.unlock != nil {
		if uerr := s.unlock(); uerr != nil {
			err = errors.Join(err, fmt.Errorf("pebblestore: release the lock: %w", uerr))
		}
	}
	s.log.Info("event store closed", "dir", s.cfg.Dir, "head", s.head.Load())
	return err
}

// writable fails with the sticky commit failure, or with
// events.ErrNoSpace if writing about size bytes would leave the disk too
// full.
func (s *Store) writable(size int) error {
	if err := s.failure.Load(); err != nil {
		return *err
	}
	return s.disk.room(size)
}

// fail makes err the store's sticky failure: every later append returns it.
func (s *Store) fail(err error) {
	if s.failure.CompareAndSwap(nil, &err) {
		s.log.Error("event store commit failed; refusing further appends", "dir", s.cfg.Dir, "err", err)
	}
}

// joinClose closes db after err, keeping both errors.
func joinClose(err error, db *pebble.DB) error {
	if cerr := db.Close(); cerr != nil {
		return fmt.Errorf("%w (and closing pebble: %v)", err, cerr)
	}
	return err
}
