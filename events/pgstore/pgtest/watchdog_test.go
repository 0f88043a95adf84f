package pgtest_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hive/events/pgstore/pgtest"
)

// TestWatchdogChild is the killed test process of TestWatchdog: it starts
// a cluster, says where, and waits to be killed.
func TestWatchdogChild(t *testing.T) {
	if os.Getenv("PGTEST_WATCHDOG_CHILD") == "" {
		t.Skip("run by TestWatchdog only")
	}
	srv := pgtest.Start(t)
	var dir string
	if err := mustConnect(t, srv.URL()).QueryRow(context.Background(), "SHOW data_directory").Scan(&dir); err != nil {
		t.Fatal(err)
	}
	fmt.Printf("cluster %s %s\n", srv.URL(), dir)
	select {}
}

// TestWatchdog kills a test process that has a cluster running: the
// cluster stops and its directory goes, instead of running on.
func TestWatchdog(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestWatchdogChild$", "-test.v")
	cmd.Env = append(os.Environ(), "PGTEST_WATCHDOG_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	var url, dir string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) == 3 && f[0] == "cluster" {
			url, dir = f[1], f[2]
			break
		}
	}
	if url == "" {
		t.Fatal("the child started no cluster")
	}
	if _, err := connect(t, url); err != nil {
		t.Fatalf("the child's cluster does not answer: %v", err)
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait() // reaped, as go test reaps a test binary it killed
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := connect(t, url)
		_, statErr := os.Stat(filepath.Dir(dir))
		if err != nil && os.IsNotExist(statErr) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the test process was killed: connect = %v, its directory: %v", err, statErr)
		}
		time.Sleep(100 * time.Millisecond) // polling the server from outside
	}
}
