package worker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"hive/http/client"
)

// MaxOutputBytes is the most output Hive takes for a task (the swarm's
// limit); a command printing more fails, not retryably.
const MaxOutputBytes = 256 << 10

// stderrTail is how much of a failed command's stderr its failure reason
// keeps.
const stderrTail = 2 << 10

// Shell runs a task with `sh -c Command`: the task's input (JSON) on stdin
// and in HIVE_TASK_INPUT, with HIVE_TASK_ID, HIVE_RUN_ID, HIVE_STEP_ID,
// HIVE_ATTEMPT and HIVE_AGENT_ID. Its stdout is the output: as is if it is
// JSON, else as a JSON string. A non-zero exit is a retryable failure whose
// reason ends with stderr's tail. When ctx ends, the command's whole
// process group is killed.
type Shell struct {
	Command string
}

var _ Runner = Shell{}

// Run implements Runner.
func (s Shell) Run(ctx context.Context, agentID string, a client.Assignment) (json.RawMessage, error) {
	input := []byte(a.Input)
	if len(input) == 0 {
		input = []byte("null")
	}
	cmd := exec.CommandContext(ctx, "sh", "-c", s.Command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second // a grandchild holding the pipes open
	cmd.Stdin = bytes.NewReader(input)
	cmd.Env = append(os.Environ(),
		"HIVE_TASK_ID="+a.TaskID, "HIVE_TASK_INPUT="+string(input), "HIVE_RUN_ID="+a.RunID,
		"HIVE_STEP_ID="+a.StepID, "HIVE_ATTEMPT="+strconv.Itoa(a.Attempt), "HIVE_AGENT_ID="+agentID)
	stdout := &capped{max: MaxOutputBytes + 1}
	stderr := &tail{max: stderrTail}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, context.Cause(ctx)
	}
	if err != nil {
		reason := err.Error()
		if t := strings.TrimSpace(stderr.String()); t != "" {
			reason += ": " + t
		}
		return nil, &Failure{Reason: reason, Retryable: true}
	}
	if stdout.Len() > MaxOutputBytes {
		return nil, &Failure{Reason: fmt.Sprintf("the command printed more than %d bytes; store large artifacts elsewhere and print their URL and hash", MaxOutputBytes)}
	}
	return Output(stdout.Bytes()), nil
}

// Output is a command's stdout as a task's output: the JSON it printed, or
// else what it printed as a JSON string (with any bytes that are not UTF-8
// replaced, as Hive takes text only in UTF-8).
func Output(stdout []byte) json.RawMessage {
	if t := bytes.TrimSpace(stdout); len(t) > 0 && utf8.Valid(t) && json.Valid(t) {
		return json.RawMessage(t)
	}
	s, _ := json.Marshal(string(stdout)) // a string always encodes
	return s
}

// capped keeps the first max bytes written to it.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// tail keeps the last max bytes written to it.
type tail struct {
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tail) String() string { return string(t.buf) }
