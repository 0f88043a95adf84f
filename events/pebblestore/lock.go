package pebblestore

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// lockDir takes the lock of the store directory dir, as pebble would on
// Open. If another process holds it, the error wraps ErrInUse and names
// that process when the system says which it is.
func lockDir(dir string, fsys vfs.FS) (*pebble.Lock, error) {
	lock, err := pebble.LockDirectory(dir, fsys)
	if err == nil {
		return lock, nil
	}
	var pathErr *fs.PathError
	var errno syscall.Errno
	switch {
	case errors.As(err, &pathErr):
		return nil, fmt.Errorf("pebblestore: lock %s: %w", dir, err) // no lock file
	case !errors.As(err, &errno):
		return nil, fmt.Errorf("%w: %s: %w", ErrInUse, dir, err) // by this process
	case errno != syscall.EAGAIN && errno != syscall.EACCES:
		return nil, fmt.Errorf("pebblestore: lock %s: %w", dir, err)
	}
	if pid := lockHolder(filepath.Join(dir, "LOCK")); pid > 0 {
		return nil, fmt.Errorf("%w: %s is locked by process %d", ErrInUse, dir, pid)
	}
	return nil, fmt.Errorf("%w: %s is locked (%v) by a process the system does not name", ErrInUse, dir, err)
}
