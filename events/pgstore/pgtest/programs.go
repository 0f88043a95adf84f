package pgtest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// debianBinDir is where Debian's postgresql-15 package puts the server's
// programs, which are not on PATH.
const debianBinDir = "/usr/lib/postgresql/15/bin"

// errNotInstalled says what to do when the programs are missing.
var errNotInstalled = errors.New("PostgreSQL 15 is not installed (no initdb in `pg_config --bindir`, " +
	debianBinDir + " or PATH): run `make test` (or `make postgresql`), which installs Debian's postgresql package")

// binDir returns the directory holding initdb, pg_ctl, postgres and
// pgbench.
func binDir() (string, error) {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	dirs = append(dirs, debianBinDir)
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, d := range dirs {
		if isExecutable(filepath.Join(d, "initdb")) && isExecutable(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", errNotInstalled
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// Program returns the path of one of PostgreSQL's programs (pgbench, psql)
// in the installation the clusters run, failing t if it is missing.
func Program(t testing.TB, name string) string {
	t.Helper()
	dir, err := binDir()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	p := filepath.Join(dir, name)
	if !isExecutable(p) {
		t.Fatalf("pgtest: %s is missing from %s", name, dir)
	}
	return p
}
