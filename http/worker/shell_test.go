package worker_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"hive/http/client"
	"hive/http/worker"
)

func TestShellRunsATask(t *testing.T) {
	a := client.Assignment{TaskID: "s.1", StepID: "build", Attempt: 2, Input: json.RawMessage(`{"word":"hi"}`)}
	for _, tc := range []struct {
		name, command, want string
		retryable           bool
	}{
		{name: "stdin in capitals", command: "tr a-z A-Z", want: `{"WORD":"HI"}`},
		{name: "environment", command: `echo "$HIVE_TASK_ID $HIVE_STEP_ID $HIVE_ATTEMPT $HIVE_AGENT_ID"`, want: `"s.1 build 2 agent\n"`},
		{name: "not JSON becomes a string", command: "echo plain words", want: `"plain words\n"`},
		{name: "JSON that is not UTF-8 becomes a string", command: `printf '{"a":"\377"}'`, want: `"{\"a\":\"\ufffd\"}"`},
		{name: "non-zero exit", command: "echo broken >&2; exit 3", want: "exit status 3: broken", retryable: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := worker.Shell{Command: tc.command}.Run(t.Context(), "agent", a)
			var f *worker.Failure
			switch {
			case errors.As(err, &f):
				if f.Reason != tc.want || f.Retryable != tc.retryable {
					t.Fatalf("failure %+v, want %q (retryable %v)", f, tc.want, tc.retryable)
				}
			case err != nil || string(out) != tc.want:
				t.Fatalf("output %s, %v; want %s", out, err, tc.want)
			}
		})
	}
}

func TestShellKillsTheProcessGroupWhenItsContextEnds(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := worker.Shell{Command: "sleep 30 & sleep 30; wait"}.Run(ctx, "agent", client.Assignment{TaskID: "s.1"})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("after %v: %v; want the command killed with its children at once", time.Since(start), err)
	}
}
