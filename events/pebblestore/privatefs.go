package pebblestore

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Permissions of what the store creates: its owner's alone, for the log
// holds task inputs and outputs.
const (
	privateDirMode  fs.FileMode = 0o700
	privateFileMode fs.FileMode = 0o600
)

// privateFS is the file system pebble uses for a writable store: the
// operating system's, but the directories it creates are 0700 and the
// files 0600, whatever the umask (pebble itself asks for 0755 and 0666).
type privateFS struct{ vfs.FS }

// Create implements vfs.FS.
func (p privateFS) Create(name string, category vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := p.FS.Create(name, category)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(name, privateFileMode); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return f, nil
}

// OpenReadWrite implements vfs.FS; it may create the file.
func (p privateFS) OpenReadWrite(name string, category vfs.DiskWriteCategory, opts ...vfs.OpenOption) (vfs.File, error) {
	f, err := p.FS.OpenReadWrite(name, category, opts...)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(name, privateFileMode); err != nil {
		return nil, errors.Join(err, f.Close())
	}
	return f, nil
}

// MkdirAll implements vfs.FS, with mode 0700 whatever perm asks.
func (p privateFS) MkdirAll(dir string, _ os.FileMode) error {
	return p.FS.MkdirAll(dir, privateDirMode)
}

// Lock implements vfs.FS.
func (p privateFS) Lock(name string) (io.Closer, error) {
	l, err := p.FS.Lock(name)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(name, privateFileMode); err != nil {
		return nil, errors.Join(err, l.Close())
	}
	return l, nil
}

// Unwrap implements vfs.FS.
func (p privateFS) Unwrap() vfs.FS { return p.FS }

// makePrivateDir creates the store directory dir (0700) if it is missing,
// and takes away what group and others may do with it and with the files
// and directories in it, which a store created before kept.
func makePrivateDir(dir string) error {
	if err := os.MkdirAll(dir, privateDirMode); err != nil {
		return fmt.Errorf("pebblestore: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("pebblestore: %w", err)
	}
	err = restrict(dir, privateDirMode)
	for _, e := range entries {
		switch {
		case e.IsDir():
			err = errors.Join(err, restrict(filepath.Join(dir, e.Name()), privateDirMode))
		case e.Type().IsRegular():
			err = errors.Join(err, restrict(filepath.Join(dir, e.Name()), privateFileMode))
		}
	}
	if err != nil {
		return fmt.Errorf("pebblestore: make the store private: %w", err)
	}
	return nil
}

// restrict takes from path's mode what mode does not allow.
func restrict(path string, mode fs.FileMode) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&^mode == 0 {
		return nil
	}
	return os.Chmod(path, fi.Mode().Perm()&mode)
}
