package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// runMainEnv makes the test binary run hive's main with its arguments
// instead of the tests (see TestMain): a hive process without building
// one.
const runMainEnv = "HIVE_TEST_RUN_MAIN"

// hiveProcess is how a hive process run by runMain ended.
type hiveProcess struct {
	stdout, stderr string
	code           int
}

// mainTimeout bounds a process that runMain runs: a command expected to
// fail at once (hive serve refusing to start) that does not is killed.
const mainTimeout = 30 * time.Second

// runMain runs hive with args in a process of its own, as a user would,
// and returns its output and exit status (-1 if it was killed after
// mainTimeout).
func runMain(t *testing.T, args ...string) hiveProcess {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), mainTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), runMainEnv+"=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	p := hiveProcess{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		p.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run hive %s: %v", strings.Join(args, " "), err)
	}
	return p
}
