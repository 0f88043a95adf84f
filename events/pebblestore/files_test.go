package pebblestore_test

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hive/events"
	"hive/events/pebblestore"
	"hive/events/storetest"
)

// TestStoreFilesArePrivate: the store's directory (and a parent it
// creates) and every file in it are their owner's alone, whatever the
// umask, also those that existed before with wider permissions.
func TestStoreFilesArePrivate(t *testing.T) {
	root := filepath.Join(t.TempDir(), "data")
	dir := filepath.Join(root, "events")
	s := openStore(t, pebblestore.Config{Dir: dir})
	for i := range 50 {
		storetest.MustAppend(t, s, fmt.Sprintf("s-%d", i), events.NoStream(), storetest.NewEvents(t, "s", 20))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, pebblestore.Config{Dir: dir}) // flushes the log into a table
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if tables, _ := filepath.Glob(filepath.Join(dir, "*.sst")); len(tables) == 0 {
		t.Fatal("no table written: the test would not see a table's mode")
	}
	storetest.CheckPrivate(t, root)

	// A store left with wider permissions is tightened on Open.
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.Chmod(path, 0o755)
		}
		return os.Chmod(path, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	s = openStore(t, pebblestore.Config{Dir: dir})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	storetest.CheckPrivate(t, dir)
}

// holdDirEnv switches the test binary into a process that holds a store
// open until it is killed.
const holdDirEnv = "PEBBLESTORE_HOLD_DIR"

// TestHoldChild is the process TestInUseNamesTheProcess starts.
func TestHoldChild(t *testing.T) {
	dir := os.Getenv(holdDirEnv)
	if dir == "" {
		t.Skip("the child process of TestInUseNamesTheProcess")
	}
	if _, err := pebblestore.Open(pebblestore.Config{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	fmt.Println("open")
	time.Sleep(time.Minute)
	t.Error("the child was not killed")
}

// TestInUseNamesTheProcess: opening a store that another process holds
// fails with ErrInUse, naming that process.
func TestInUseNamesTheProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	if line, err := bufio.NewReader(out).ReadString('\n'); err != nil || line != "open\n" {
		t.Fatalf("the child said %q (%v), not that it opened the store", line, err)
	}
	want := fmt.Sprintf("locked by process %d", cmd.Process.Pid)
	for name, open := range map[string]func(pebblestore.Config) (*pebblestore.Store, error){
		"Open": pebblestore.Open, "OpenReadOnly": pebblestore.OpenReadOnly,
	} {
		_, err := open(pebblestore.Config{Dir: dir})
		if !errors.Is(err, pebblestore.ErrInUse) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s of a store another process holds: %v, want ErrInUse saying %q", name, err, want)
		}
	}
}
