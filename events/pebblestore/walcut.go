package pebblestore

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	crerrors "github.com/cockroachdb/errors"
	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/wal"
)

// replayDetail is how pebble names the write-ahead log whose replay failed.
var replayDetail = regexp.MustCompile(`^replaying wal (\d+),`)

// walError: pebble cannot replay a write-ahead log of the store in dir.
// It wraps ErrLogDamaged and pebble's error.
type walError struct {
	dir string
	num wal.NumWAL
	err error
}

func (e *walError) Error() string {
	return fmt.Sprintf("%v: %s: write-ahead log %d cannot be replayed: %v", ErrLogDamaged, e.dir, e.num, e.err)
}

func (e *walError) Unwrap() error { return e.err }

// Is makes a walError match ErrLogDamaged.
func (e *walError) Is(target error) bool { return target == ErrLogDamaged }

// damagedWAL returns the number of the write-ahead log that err, pebble's
// error opening a database, found corrupt, if it names one.
func damagedWAL(err error) (wal.NumWAL, bool) {
	if !pebble.IsCorruptionError(err) {
		return 0, false
	}
	for _, d := range crerrors.GetAllDetails(err) {
		if m := replayDetail.FindStringSubmatch(d); m != nil {
			n, err := strconv.ParseUint(m[1], 10, 64)
			return wal.NumWAL(n), err == nil
		}
	}
	return 0, false
}

// cutWAL makes pebble able to open dir again after it found the
// write-ahead log num corrupt, giving up what follows the damage: it moves
// that log and every later one into a new directory in dir (which it
// returns, and pebble ignores), then writes back the damaged log's records
// before the first bad one. The events after the damage are lost; the
// moved files keep them for whoever wants to try to recover them.
func cutWAL(dir string, num wal.NumWAL) (kept string, err error) {
	logs, err := wal.Scan(wal.Dir{FS: vfs.Default, Dirname: dir})
	if err != nil {
		return "", fmt.Errorf("pebblestore: list the write-ahead logs: %w", err)
	}
	damaged, ok := logs.Get(num)
	if !ok || damaged.NumSegments() != 1 {
		return "", fmt.Errorf("pebblestore: write-ahead log %d: not found as one file", num)
	}
	_, path := damaged.SegmentLocation(0)
	cut, err := firstBadRecord(damaged)
	if err != nil {
		return "", err
	}
	kept = filepath.Join(dir, "damaged-"+time.Now().UTC().Format("20060102T150405.000Z"))
	if err := os.Mkdir(kept, 0o700); err != nil {
		return "", fmt.Errorf("pebblestore: %w", err)
	}
	for _, ll := range logs {
		if ll.Num < num {
			continue
		}
		for i := range ll.NumSegments() {
			_, p := ll.SegmentLocation(i)
			if err := os.Rename(p, filepath.Join(kept, filepath.Base(p))); err != nil {
				return kept, fmt.Errorf("pebblestore: move a write-ahead log aside: %w", err)
			}
		}
	}
	if err := copyPrefix(filepath.Join(kept, filepath.Base(path)), path, cut); err != nil {
		return kept, err
	}
	return kept, errors.Join(syncDir(kept), syncDir(dir))
}

// firstBadRecord returns the offset in ll's file of the first record that
// cannot be read whole.
func firstBadRecord(ll wal.LogicalLog) (int64, error) {
	r := ll.OpenForRead()
	defer r.Close()
	for {
		_, off, err := r.NextRecord()
		if errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("pebblestore: write-ahead log %d reads whole: no damage to cut", ll.Num)
		}
		if err != nil {
			return off.Physical, nil
		}
	}
}

// copyPrefix writes the first n bytes of file from to a new file to, and
// fsyncs it.
func copyPrefix(from, to string, n int64) error {
	src, err := os.Open(from)
	if err != nil {
		return fmt.Errorf("pebblestore: %w", err)
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("pebblestore: %w", err)
	}
	_, err = io.CopyN(dst, src, n)
	if err == nil {
		err = dst.Sync()
	}
	if err = errors.Join(err, dst.Close()); err != nil {
		return fmt.Errorf("pebblestore: write the cut write-ahead log: %w", err)
	}
	return nil
}
