package main

import (
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"hive/http/client"
)

// Exit statuses of a command that waited (--wait) for a run or a task to
// end; 0 is completed, and 1, as for every command, an error: Hive could
// not be asked, or refused.
const (
	exitFailed          = 2
	exitCancelled       = 3
	exitBudgetExhausted = 4
	exitNotEnded        = 5
)

// waitHelp documents --wait and its exit statuses, for the commands that
// take it.
const waitHelp = `With --wait the command waits until the %[1]s ends, Hive holding each
request until it does (no polling), shows it as it then is, and exits with
a status telling how it ended:
  0  completed
  1  an error: Hive could not be reached, or refused
  2  failed
  3  cancelled
  4  budget exhausted (runs only: the run's budget is spent)
  5  not ended within --wait-timeout (0, the default, waits for ever)`

// exitError ends hive with its own exit status instead of 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// waitFlags are --wait and --wait-timeout.
type waitFlags struct {
	wait    bool
	timeout time.Duration
}

func (w *waitFlags) register(cmd *cobra.Command, what string) {
	cmd.Flags().BoolVar(&w.wait, "wait", false, "wait until the "+what+" ends, and exit with a status telling how (see above)")
	cmd.Flags().DurationVar(&w.timeout, "wait-timeout", 0, "with --wait, wait at most this long (0: until the "+what+" ends); then exit with status 5")
}

// await returns the bounds of the wait for a thing a command of position
// pos made (0 for none).
func (w *waitFlags) await(pos uint64) client.Await {
	return client.Await{Timeout: w.timeout, MinPosition: pos}
}

// awaitingClient is client() for requests that Hive holds up to
// client.MaxResultWait.
func (o *remoteOptions) awaitingClient() (*client.Client, error) {
	bearer, err := o.bearer()
	if err != nil {
		return nil, err
	}
	return client.New(client.Config{Server: o.server, Token: bearer, HTTPClient: &http.Client{Timeout: client.MaxResultWait + callTimeout}})
}

// outcomeStatus is the exit status of a wait for a run or task that ended
// (or not) in status.
func outcomeStatus(ended bool, status string) int {
	switch {
	case !ended:
		return exitNotEnded
	case status == "completed":
		return 0
	case status == "failed":
		return exitFailed
	case status == "cancelled":
		return exitCancelled
	case status == "budget_exhausted":
		return exitBudgetExhausted
	}
	return 1
}

// outcome is the error a waiting command returns for what, which ended
// (or not) in status, for reason: nil when it completed.
func (w *waitFlags) outcome(what string, ended bool, status, reason string) error {
	code := outcomeStatus(ended, status)
	switch {
	case code == 0:
		return nil
	case !ended:
		return &exitError{code: code, err: fmt.Errorf("%s has not ended within --wait-timeout %s: it is %s", what, w.timeout, status)}
	case reason != "":
		return &exitError{code: code, err: fmt.Errorf("%s %s: %s", what, status, reason)}
	}
	return &exitError{code: code, err: fmt.Errorf("%s %s", what, status)}
}

// awaitRun waits for run id, which a command at position pos (0 for
// none) made, shows it, and returns its outcome.
func (o *remoteOptions) awaitRun(cmd *cobra.Command, api *client.Client, id string, pos uint64, w *waitFlags) error {
	r, err := api.AwaitRun(cmd.Context(), id, w.await(pos))
	if err != nil {
		return fmt.Errorf("wait for run %s: %w", id, err)
	}
	if err := o.show(cmd, r.Raw, func() error { return writeRun(cmd.OutOrStdout(), r) }); err != nil {
		return err
	}
	return w.outcome("run "+id, r.Ended, r.Status, r.StatusReason)
}

// awaitTask waits for task id, which a command at position pos (0 for
// none) made, shows it, and returns its outcome.
func (o *remoteOptions) awaitTask(cmd *cobra.Command, api *client.Client, id string, pos uint64, w *waitFlags) error {
	t, err := api.AwaitTask(cmd.Context(), id, w.await(pos))
	if err != nil {
		return fmt.Errorf("wait for task %s: %w", id, err)
	}
	if err := o.show(cmd, t.Raw, func() error { return writeTasks(cmd.OutOrStdout(), t) }); err != nil {
		return err
	}
	reason := t.Reason
	if t.Failure != nil {
		reason = t.Failure.Cause + ": " + t.Failure.Reason
	}
	return w.outcome("task "+id, t.Ended, t.Status, reason)
}
