package pebblestore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"hive/events"
)

// MarkFile is the name of the head mark's file in the store's directory,
// beside pebble's own files, which pebble ignores.
const MarkFile = "HIVE-HEAD"

// markSyncInterval is how often, at most, the committer fsyncs the head
// mark while appends keep coming.
const markSyncInterval = time.Second

// Mark is what the store records, outside pebble's write-ahead log, of how
// far its log went: the position of the newest acknowledged event and
// that event's hash. It is the evidence Open checks the log against.
type Mark struct {
	Position uint64
	Hash     events.Hash
}

// The file holds two slots, 4 KiB apart so that they never share a
// sector; writes alternate between them, so that a write torn by a power
// loss damages only the slot being written and the other still holds the
// mark before. A slot is the magic, a sequence number (the newer slot's
// is higher), the mark, and the CRC-32C of all that.
const (
	slotStride = 4096
	slotSize   = 8 + 8 + 8 + 32 + 4
)

var (
	markMagic  = [8]byte{'h', 'i', 'v', 'e', 'h', 'e', 'a', 1}
	markCRC    = crc32.MakeTable(crc32.Castagnoli)
	errBadMark = errors.New("neither slot holds a valid mark")
)

// headMark is the open mark file. The committer alone writes it, after
// each commit and before answering it, without an fsync: the page cache
// keeps the mark through a crash of the process, and the committer fsyncs
// it at most markSyncInterval after a change (when appends keep coming,
// or pause), which bounds what a power loss can take from it. It is written only after the
// log it describes was fsynced, so it is never ahead of an intact log.
type headMark struct {
	f      *os.File
	seq    uint64
	mark   Mark
	synced time.Time
	dirty  bool
	// failing is set while writes fail, so that a failure is logged once.
	failing bool
}

// readMark returns the mark recorded in dir and whether there is one. A
// file with no valid slot is an error.
func readMark(dir string) (Mark, bool, error) {
	b, err := os.ReadFile(filepath.Join(dir, MarkFile))
	if errors.Is(err, fs.ErrNotExist) {
		return Mark{}, false, nil
	}
	if err != nil {
		return Mark{}, false, fmt.Errorf("pebblestore: read the head mark: %w", err)
	}
	m, _, ok := decodeMark(b)
	if !ok {
		return Mark{}, false, fmt.Errorf("%w: the head mark %s: %w", ErrLogDamaged, filepath.Join(dir, MarkFile), errBadMark)
	}
	return m, true, nil
}

// decodeMark returns the mark of the newest valid slot of b and its
// sequence number.
func decodeMark(b []byte) (m Mark, seq uint64, ok bool) {
	for off := 0; off+slotSize <= len(b) && off <= slotStride; off += slotStride {
		slot := b[off : off+slotSize]
		sum := binary.BigEndian.Uint32(slot[slotSize-4:])
		if [8]byte(slot[:8]) != markMagic || crc32.Checksum(slot[:slotSize-4], markCRC) != sum {
			continue
		}
		if s := binary.BigEndian.Uint64(slot[8:16]); !ok || s > seq {
			seq, ok = s, true
			m.Position = binary.BigEndian.Uint64(slot[16:24])
			m.Hash = events.Hash(slot[24:56])
		}
	}
	return m, seq, ok
}

// createMark writes m into both slots of a new mark file in dir (replacing
// any), fsyncs it and the directory, and returns it open for the
// committer.
func createMark(dir string, m Mark, seq uint64) (*headMark, error) {
	path := filepath.Join(dir, MarkFile)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("pebblestore: create the head mark: %w", err)
	}
	hm := &headMark{f: f, seq: seq, mark: m}
	err = hm.writeSlot(0)
	if err == nil {
		err = hm.writeSlot(1)
	}
	if err == nil {
		err = f.Sync()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("pebblestore: create the head mark: %w", err), f.Close(), os.Remove(tmp))
	}
	if err := syncDir(dir); err != nil { // renamed: no temporary file is left to remove
		return nil, errors.Join(fmt.Errorf("pebblestore: create the head mark: %w", err), f.Close())
	}
	hm.synced = time.Now()
	return hm, nil
}

// openMark opens the mark file of dir for the committer, creating it with
// m if there is none or if reset is set (a loss accepted), else going on
// from its newest slot.
func openMark(dir string, m Mark, reset bool) (*headMark, error) {
	path := filepath.Join(dir, MarkFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || reset {
		_, seq, _ := decodeMark(b)
		return createMark(dir, m, seq+1)
	}
	if err != nil {
		return nil, fmt.Errorf("pebblestore: open the head mark: %w", err)
	}
	_, seq, ok := decodeMark(b)
	if !ok {
		return nil, fmt.Errorf("%w: the head mark %s: %w", ErrLogDamaged, path, errBadMark)
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("pebblestore: open the head mark: %w", err)
	}
	return &headMark{f: f, seq: seq, mark: m, synced: time.Now()}, nil
}

// recordMark records m in the head mark, for the committer. A failure is
// logged, once until a write succeeds again, and does not fail the
// commit, which is durable: the mark then lags behind the log, which
// Open accepts.
func (s *Store) recordMark(m Mark) {
	err := s.mark.record(m)
	switch {
	case err != nil && !s.mark.failing:
		s.log.Error("event store: the head mark cannot be recorded; it lags behind the log", "position", m.Position, "err", err)
	case err == nil && s.mark.failing:
		s.log.Info("event store: the head mark is recorded again", "position", m.Position)
	}
	s.mark.failing = err != nil
}

// syncMark fsyncs the head mark if it changed since its last fsync, for
// the committer; a failure is logged, as recordMark's.
func (s *Store) syncMark() {
	if err := s.mark.sync(); err != nil {
		s.log.Error("event store: the head mark cannot be synced; after a power loss it may lag behind the log", "err", err)
	}
}

// record writes m into the next slot, and fsyncs the file if the last
// fsync is markSyncInterval old.
func (hm *headMark) record(m Mark) error {
	hm.seq++
	hm.mark, hm.dirty = m, true
	if err := hm.writeSlot(int(hm.seq % 2)); err != nil {
		return err
	}
	if time.Since(hm.synced) < markSyncInterval {
		return nil
	}
	return hm.sync()
}

// sync fsyncs the file if a mark was written since the last fsync.
func (hm *headMark) sync() error {
	if !hm.dirty {
		return nil
	}
	if err := hm.f.Sync(); err != nil {
		return fmt.Errorf("pebblestore: sync the head mark: %w", err)
	}
	hm.synced, hm.dirty = time.Now(), false
	return nil
}

// close fsyncs and closes the file.
func (hm *headMark) close() error {
	return errors.Join(hm.sync(), hm.f.Close())
}

func (hm *headMark) writeSlot(i int) error {
	var slot [slotSize]byte
	copy(slot[:8], markMagic[:])
	binary.BigEndian.PutUint64(slot[8:16], hm.seq)
	binary.BigEndian.PutUint64(slot[16:24], hm.mark.Position)
	copy(slot[24:56], hm.mark.Hash[:])
	binary.BigEndian.PutUint32(slot[slotSize-4:], crc32.Checksum(slot[:slotSize-4], markCRC))
	if _, err := hm.f.WriteAt(slot[:], int64(i*slotStride)); err != nil {
		return fmt.Errorf("pebblestore: write the head mark: %w", err)
	}
	return nil
}

// syncDir fsyncs a directory, so that a file created or renamed in it
// survives a power loss.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
