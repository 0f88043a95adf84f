package storetest

import (
	"io/fs"
	"path/filepath"
	"testing"
)

// CheckPrivate fails t for every directory under dir (dir included) that
// is not 0700 and every file that is not 0600: what a store writes holds
// task inputs and outputs, and is its owner's alone.
func CheckPrivate(t testing.TB, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		want := fs.FileMode(0o600)
		if d.IsDir() {
			want = 0o700
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", path, fi.Mode().Perm(), want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
