package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ErrStateDirInUse is returned by Run when another worker holds the state
// dir: two workers must not share an outbox.
var ErrStateDirInUse = errors.New("worker: the state dir is in use by another worker")

// outbox keeps the results Hive has not acknowledged yet, one file each in
// a directory, so that neither an outage of Hive nor a restart of the
// worker loses them. A result is written to a temporary file, synced and
// renamed into place (and the directory synced) before it is sent, and
// removed once Hive has taken or refused it. Files are 0600 and the
// directory 0700: results hold task outputs. It is safe for concurrent
// use: each method touches only its own result's file.
type outbox struct {
	dir  string
	lock *os.File
}

// openOutbox opens (creating) the outbox under stateDir, taking the state
// dir's lock, and returns the results it holds.
func openOutbox(stateDir string) (*outbox, []report, error) {
	dir := filepath.Join(stateDir, "outbox")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("worker: create outbox: %w", err)
	}
	lock, err := lockDir(stateDir)
	if err != nil {
		return nil, nil, err
	}
	box := &outbox{dir: dir, lock: lock}
	held, err := box.load()
	if err != nil {
		return nil, nil, errors.Join(err, box.close())
	}
	return box, held, nil
}

// lockDir takes an exclusive lock on stateDir's lock file, failing at once
// with ErrStateDirInUse if another process has it.
func lockDir(stateDir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(stateDir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("worker: open state dir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s", ErrStateDirInUse, stateDir)
		}
		return nil, fmt.Errorf("worker: lock state dir %s: %w", stateDir, err)
	}
	return f, nil
}

// close releases the state dir's lock.
func (b *outbox) close() error { return b.lock.Close() }

// load reads the results the outbox holds, removing temporary files a
// crash left behind. A result file it cannot read is an error: it is not
// silently dropped.
func (b *outbox) load() ([]report, error) {
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		return nil, fmt.Errorf("worker: read outbox: %w", err)
	}
	var held []report
	for _, e := range entries {
		path := filepath.Join(b.dir, e.Name())
		switch {
		case strings.HasPrefix(e.Name(), ".tmp-"):
			if err := os.Remove(path); err != nil {
				return nil, fmt.Errorf("worker: remove %s: %w", path, err)
			}
		case strings.HasSuffix(e.Name(), ".json"):
			r, err := readReport(path)
			if err != nil {
				return nil, err
			}
			held = append(held, r)
		}
	}
	return held, nil
}

func readReport(path string) (report, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return report{}, fmt.Errorf("worker: read outbox: %w", err)
	}
	var r report
	if err := json.Unmarshal(raw, &r); err != nil || r.TaskID == "" || r.AgentID == "" {
		return report{}, fmt.Errorf("worker: %s is not a result (%v); move it away to start", path, err)
	}
	return r, nil
}

// put keeps r durably, replacing what the outbox held for its attempt.
func (b *outbox) put(r report) error {
	raw, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("worker: encode result: %w", err)
	}
	f, err := os.CreateTemp(b.dir, ".tmp-*") // 0600
	if err != nil {
		return fmt.Errorf("worker: keep result: %w", err)
	}
	_, err = f.Write(raw)
	if err == nil {
		err = f.Sync()
	}
	err = errors.Join(err, f.Close())
	if err == nil {
		err = os.Rename(f.Name(), b.path(r))
	}
	if err == nil {
		err = b.sync()
	}
	if err != nil {
		_ = os.Remove(f.Name()) // gone already once renamed
		return fmt.Errorf("worker: keep result: %w", err)
	}
	return nil
}

// remove forgets r.
func (b *outbox) remove(r report) error {
	if err := os.Remove(b.path(r)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("worker: remove result: %w", err)
	}
	return b.sync()
}

// path is where r is kept: its task id escaped to one file name, and its
// attempt.
func (b *outbox) path(r report) string {
	return filepath.Join(b.dir, "r-"+url.PathEscape(r.TaskID)+"-"+strconv.Itoa(r.Attempt)+".json")
}

// sync makes the directory's entries durable.
func (b *outbox) sync() error {
	d, err := os.Open(b.dir)
	if err != nil {
		return fmt.Errorf("worker: sync outbox: %w", err)
	}
	err = d.Sync()
	return errors.Join(err, d.Close())
}
