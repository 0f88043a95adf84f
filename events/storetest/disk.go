package storetest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// SmallDisk returns an empty directory on a tmpfs of its own, size bytes
// large, for tests of a full disk. Mounting needs root: without it, or
// where mounting fails, the test is skipped and says why. The file system
// is unmounted when the test ends.
func SmallDisk(t testing.TB, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("a full disk is simulated on a small tmpfs, and mounting one needs root")
	}
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(size, 10), "none", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a %d-byte tmpfs on %s (%v: %s): skipping the full-disk test", size, dir, err, out)
	}
	t.Cleanup(func() {
		// Lazily: a process the test started may still hold files there.
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("unmount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}

// GrowDisk makes the SmallDisk at dir size bytes large, as an operator
// adding space would.
func GrowDisk(t testing.TB, dir string, size int64) {
	t.Helper()
	out, err := exec.Command("mount", "-o", "remount,size="+strconv.FormatInt(size, 10), dir).CombinedOutput()
	if err != nil {
		t.Fatalf("grow the tmpfs on %s to %d bytes: %v: %s", dir, size, err, out)
	}
}

// FillDisk writes a file in dir until its file system has no space left,
// as another program filling the disk would, and returns a function that
// removes the file again.
func FillDisk(t testing.TB, dir string) (free func()) {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatalf("fill the disk: %v", err)
	}
	block := make([]byte, 64<<10)
	for len(block) > 0 {
		if _, err = f.Write(block); errors.Is(err, syscall.ENOSPC) {
			block = block[:len(block)/2] // fill the last bytes too
		} else if err != nil {
			t.Fatalf("fill the disk: %v", err)
		}
	}
	if err := f.Close(); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("fill the disk: %v", err)
	}
	return func() {
		t.Helper()
		if err := os.Remove(path); err != nil {
			t.Fatalf("free the disk: %v", err)
		}
	}
}
