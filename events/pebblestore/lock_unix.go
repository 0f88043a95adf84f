//go:build unix

package pebblestore

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// lockHolder returns the id of the process that holds the lock on the
// file at path (pebble locks with fcntl), or 0 if none or unknown, as for
// a process in another PID namespace. It must not be called for a file
// this process holds a lock on: closing the descriptor it opens would
// release that lock.
func lockHolder(path string) int {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	spec := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart}
	if err := unix.FcntlFlock(f.Fd(), unix.F_GETLK, &spec); err != nil || spec.Type == unix.F_UNLCK {
		return 0
	}
	return int(spec.Pid)
}
