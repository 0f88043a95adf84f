package pebblestore

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"

	"hive/events"
)

// openSlack is the space Open needs beyond the log it replays: a new
// OPTIONS file, MANIFEST and log, and markers.
const openSlack = 1 << 20

// fullPause is how long pebble's writes wait after one found the disk full
// before they are tried again. Pebble retries a failed flush at once and
// forever (also inside Open); the pause turns that spin into one attempt
// a second.
const fullPause = time.Second

// fullLogEvery is how often a disk that stays full is logged again.
const fullLogEvery = time.Minute

// disk keeps the store off a full disk. Before each commit group and
// snapshot save it checks that writing would leave Config.MinFreeBytes
// free, and refuses with events.ErrNoSpace otherwise, so that pebble keeps
// room to write its log, flush its memtables and open again: such a
// refusal changes nothing, and writes work again once space is freed.
// While the disk is low, every append is checked as it arrives, so that it
// is refused at once even when a commit waits inside pebble. Pebble's own
// writes that still find the disk full (another program filled it faster)
// pause, and are logged once a minute, not once each.
type disk struct {
	dir     string
	reserve int64 // negative: no check
	log     *slog.Logger
	// low is set when a check or pebble found the disk too full, and
	// cleared by the next check that does not.
	low atomic.Bool
	// unknown is set while the free space cannot be read, so that this is
	// said once, not at every check.
	unknown atomic.Bool

	mu      sync.Mutex
	fullAt  time.Time // when a full disk was last logged
	pending int       // full-disk pauses since
}

func newDisk(cfg *Config) *disk {
	return &disk{dir: cfg.Dir, reserve: cfg.MinFreeBytes, log: cfg.Logger}
}

// free returns the bytes free for this process on the disk holding the
// store's directory, or the nearest directory above it that exists.
func (d *disk) free() (uint64, error) {
	dir := d.dir
	for {
		u, err := vfs.Default.GetDiskUsage(dir)
		if err == nil {
			return u.AvailBytes, nil
		}
		parent := filepath.Dir(dir)
		if !errors.Is(err, fs.ErrNotExist) || parent == dir {
			return 0, fmt.Errorf("pebblestore: free space of %s: %w", d.dir, err)
		}
		dir = parent
	}
}

// room refuses, with events.ErrNoSpace, a write of about size bytes that
// would leave less than the reserve free. A disk whose free space cannot
// be read is not refused: pebble's own errors then tell.
func (d *disk) room(size int) error {
	if d.reserve < 0 {
		return nil
	}
	free, err := d.free()
	if err != nil {
		if !d.unknown.Swap(true) {
			d.log.Warn("free space unknown: writes go on unchecked until it is known again", "err", err)
		}
		return nil
	}
	d.unknown.Store(false)
	low := int64(free)-int64(size) < d.reserve
	if was := d.low.Swap(low); was != low {
		d.logLow(low, free)
	}
	if low {
		return fmt.Errorf("%w: %s has %s free, and the store keeps %s free", events.ErrNoSpace, d.dir, mib(free), mib(uint64(d.reserve)))
	}
	return nil
}

// logLow says that the store starts or stops refusing writes.
func (d *disk) logLow(low bool, free uint64) {
	if low {
		d.log.Error("the event store's disk is too full: refusing writes until space is freed",
			"dir", d.dir, "free", mib(free), "keeps_free", mib(uint64(d.reserve)))
		return
	}
	d.log.Info("the event store's disk has room again: writes resume", "dir", d.dir, "free", mib(free))
}

// roomToOpen refuses to open when the disk has less space free than
// pebble needs on open: it writes its log into tables then, and would
// otherwise retry that forever on a full disk.
func (d *disk) roomToOpen() error {
	logs, err := logBytes(d.dir)
	if err != nil {
		return err
	}
	free, err := d.free()
	if err != nil {
		return err
	}
	if need := logs + openSlack; free < need {
		return fmt.Errorf("%w: %s has %s free; opening the store needs about %s (its write-ahead log of %s is written into tables on open). Free some space, then start again",
			events.ErrNoSpace, d.dir, mib(free), mib(need), mib(logs))
	}
	return nil
}

// logBytes returns the size of the write-ahead log files in dir.
func logBytes(dir string) (uint64, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("pebblestore: list %s: %w", dir, err)
	}
	var n uint64
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".log") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			return 0, fmt.Errorf("pebblestore: size of %s: %w", e.Name(), err)
		}
		n += uint64(info.Size())
	}
	return n, nil
}

// watch makes pebble's writes pause when they find the disk full, and
// keeps the failures that causes (pebble's background errors) out of the
// log: full-disk pauses are logged instead, at most once a minute.
func (d *disk) watch(opts *pebble.Options) {
	opts.FS = vfs.OnDiskFull(opts.FS, d.full)
	if opts.EventListener == nil {
		opts.EventListener = &pebble.EventListener{}
	}
	opts.EventListener.BackgroundError = func(err error) {
		if !isNoSpace(err) {
			d.log.Error("pebble background error", "err", err)
		}
	}
}

// full is pebble's disk-full callback: pebble's writes wait while it runs,
// then the one that failed is tried once more.
func (d *disk) full() {
	d.low.Store(true)
	d.mu.Lock()
	d.pending++
	if now := time.Now(); now.Sub(d.fullAt) >= fullLogEvery {
		d.log.Error("the event store's disk is full; pebble's writes pause and retry",
			"dir", d.dir, "pause", fullPause, "pauses", d.pending)
		d.fullAt, d.pending = now, 0
	}
	d.mu.Unlock()
	time.Sleep(fullPause)
}

// isNoSpace reports whether err is the operating system's "no space left
// on device".
func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC)
}

// noSpace marks err with events.ErrNoSpace if the disk was full.
func noSpace(err error) error {
	if isNoSpace(err) && !errors.Is(err, events.ErrNoSpace) {
		return fmt.Errorf("%w: %w", events.ErrNoSpace, err)
	}
	return err
}

// mib formats n bytes in MiB, or KiB below one MiB.
func mib(n uint64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%d KiB", (n+1<<10-1)>>10)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
