package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"hive/http/client"
	"hive/http/worker"
)

func newAgentCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "agent",
		Short: "Run an agent worker against a Hive server",
	}
	cmd.AddCommand(newAgentRunCommand())
	return cmd
}

// agentRunOptions are the flags of `hive agent run`.
type agentRunOptions struct {
	server, token, name, swarm, exec string
	stateDir                         string
	capabilities                     []string
	maxConcurrency                   int
	timeout, pollWait                time.Duration
	log                              logOptions
}

func newAgentRunCommand() *cobra.Command {
	var o agentRunOptions
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Register an agent (or resume it) and run its tasks with a shell command",
		Long: `Register an agent under --name (or resume the agent registered under it with
the same capabilities), long-poll its assignments, and run each task with
'sh -c COMMAND': the task's input (JSON) on stdin and in HIVE_TASK_INPUT, with
HIVE_TASK_ID, HIVE_RUN_ID, HIVE_STEP_ID, HIVE_ATTEMPT and HIVE_AGENT_ID in the
environment. What the command prints on stdout is the task's output (as JSON
if it is JSON, else as a JSON string); a non-zero exit fails the task
(retryably, with the end of stderr as the reason); a task running longer
than --timeout is killed with its whole process group and failed. A task
cancelled or taken away is killed and not reported.

Every result is written to an outbox in --state-dir (synced to disk) before it
is sent, and kept until Hive takes it, or answers that the task is no longer
the agent's: while Hive is unreachable (a restart, an outage) the worker
keeps trying, waiting 1s at first and doubling up to 30s, with jitter. A
worker restarted with the same state dir sends what its outbox holds first,
and does not run those tasks again. Only one worker may use a state dir.

The agent joins no swarm unless --swarm is given: membership is an
operator's decision. On SIGTERM or SIGINT the worker drains: it takes no new
task, asks Hive to drain the agent, finishes the running tasks, waits up to
30s for Hive to take their results, deregisters the agent and exits 0. If
Hive has not taken every result by then, the agent stays registered, the
results stay in the outbox, and the worker exits 1.`,
		Example: `  hive agent run --name upper-1 --capability text --exec 'tr a-z A-Z' --server http://127.0.0.1:8080`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := o.log.logger()
			if err != nil {
				return err
			}
			api, err := client.New(client.Config{Server: o.server, Token: o.token,
				HTTPClient: &http.Client{Timeout: o.pollWait + 30*time.Second}})
			if err != nil {
				return err
			}
			if o.exec == "" {
				return errors.New("--exec is required")
			}
			stateDir, err := o.stateDirOrDefault()
			if err != nil {
				return err
			}
			w, err := worker.New(worker.Config{Name: o.name, Capabilities: o.capabilities, MaxConcurrency: o.maxConcurrency,
				SwarmID: o.swarm, Timeout: o.timeout, PollWait: o.pollWait, StateDir: stateDir, Server: strings.TrimRight(o.server, "/")},
				api, worker.Shell{Command: o.exec}, logger.With("agent", o.name))
			if err != nil {
				return err
			}
			return w.Run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.server, "server", "http://127.0.0.1:8080", "Hive's URL (env HIVE_SERVER)")
	f.StringVar(&o.token, "token", "", "API token, sent as a bearer token (env HIVE_TOKEN)")
	envFlags(f, map[string]string{"server": "HIVE_SERVER", "token": "HIVE_TOKEN"})
	f.StringVar(&o.name, "name", "", "the agent's unique name (required)")
	f.StringSliceVar(&o.capabilities, "capability", nil, "a capability of the agent; repeat for more (at least one)")
	f.IntVar(&o.maxConcurrency, "max-concurrency", 1, "how many tasks run at once")
	f.StringVar(&o.exec, "exec", "", "the shell command that does a task (required)")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "how long one task may run")
	f.StringVar(&o.swarm, "swarm", "", "a swarm to join, if any")
	f.DurationVar(&o.pollWait, "poll-wait", 30*time.Second, "how long one assignments poll waits (at most 1m)")
	f.StringVar(&o.stateDir, "state-dir", "", "directory of the worker's outbox of results Hive has not taken yet (default $XDG_STATE_HOME/hive/agents/<name>, or ~/.local/state/hive/agents/<name>)")
	o.log.register(cmd)
	for _, name := range []string{"name", "exec"} {
		_ = cmd.MarkFlagRequired(name) // the flag exists
	}
	return cmd
}

// stateDirOrDefault is --state-dir, or else the agent's directory under the
// user's state directory ($XDG_STATE_HOME, or ~/.local/state).
func (o agentRunOptions) stateDirOrDefault() (string, error) {
	if o.stateDir != "" {
		return o.stateDir, nil
	}
	base := os.Getenv("XDG_STATE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("no --state-dir, and no home directory for its default: %w", err)
		}
		base = filepath.Join(home, ".local", "state")
	}
	return filepath.Join(base, "hive", "agents", url.PathEscape(o.name)), nil
}
