package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"

	"hive/http/client"
)

// report is a task's result as the worker keeps it until Hive acknowledges
// it: a completion with its output, or a failure with its reason.
type report struct {
	// Server is the Hive the task came from: a result is sent only there.
	Server  string `json:"server"`
	TaskID  string `json:"task_id"`
	Attempt int    `json:"attempt"`
	AgentID string `json:"agent_id"`
	StepID  string `json:"step_id,omitempty"`
	// Failed says the report is a failure; else it is a completion.
	Failed    bool            `json:"failed,omitempty"`
	Output    json.RawMessage `json:"output,omitempty"`
	Reason    string          `json:"reason,omitempty"`
	Retryable bool            `json:"retryable,omitempty"`
	// FinishedAt is when the task ended here.
	FinishedAt time.Time `json:"finished_at"`
}

// reportOf is the report of a task's run: its output, or why it failed.
func reportOf(server, agentID string, a client.Assignment, out json.RawMessage, runErr error) report {
	r := report{Server: server, TaskID: a.TaskID, Attempt: a.Attempt, AgentID: agentID, StepID: a.StepID, FinishedAt: time.Now().UTC()}
	if runErr == nil {
		r.Output = out
		return r
	}
	f := &Failure{Reason: runErr.Error(), Retryable: true}
	errors.As(runErr, &f)
	r.Failed, r.Reason, r.Retryable = true, fitReason(f.Reason), f.Retryable
	return r
}

// send reports r to Hive once (the client itself retries briefly).
func (r report) send(ctx context.Context, api API) error {
	if r.Failed {
		return api.Fail(ctx, r.TaskID, client.Failure{AgentID: r.AgentID, Reason: r.Reason, Retryable: r.Retryable})
	}
	return api.Complete(ctx, r.TaskID, client.Result{AgentID: r.AgentID, Output: r.Output})
}

// verdict is what Hive's answer to a report means for the outbox.
type verdict int

const (
	// retry: Hive did not answer, or not yet for good (down, overloaded,
	// rate limiting, the token refused for now); keep the report.
	retry verdict = iota
	// taken: Hive recorded the result, now or before (results are
	// idempotent); forget it.
	taken
	// notOurs: the task is no longer the agent's (finished, cancelled,
	// taken away, reassigned, or unknown); forget it.
	notOurs
	// invalid: Hive refuses the report itself; a completion becomes a
	// failure saying why, a failure is forgotten.
	invalid
)

func judge(err error) verdict {
	if err == nil {
		return taken
	}
	switch client.StatusOf(err) {
	case http.StatusNotFound, http.StatusConflict, http.StatusGone:
		return notOurs
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		return invalid
	}
	return retry
}

// refusedOutput is the failure that replaces a completion whose output
// Hive refused: trying again cannot help.
func (r report) refusedOutput(err error) report {
	r.Failed, r.Output, r.Retryable = true, nil, false
	r.Reason = fitReason(fmt.Sprintf("Hive refused the task's output: %v", err))
	return r
}

// MaxReasonLength is the most characters of a failure's reason Hive takes
// (swarm.MaxReasonLength).
const MaxReasonLength = 1000

// fitReason makes s a reason Hive takes: valid UTF-8, no control
// characters but line breaks and tabs, and at most MaxReasonLength
// characters, keeping its start and its end (where a command's error
// output says what went wrong).
func fitReason(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
	runes := []rune(s)
	if len(runes) <= MaxReasonLength {
		return s
	}
	const head, cut = 200, " … "
	tail := MaxReasonLength - head - len([]rune(cut))
	return string(runes[:head]) + cut + string(runes[len(runes)-tail:])
}
