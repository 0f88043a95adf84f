package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"hive/http/client"
)

func newWorkflowsCommand() *cobra.Command {
	var o remoteOptions
	cmd := &cobra.Command{
		Use:   "workflows",
		Short: "Start, follow and steer workflow runs in a running Hive",
		Long: `Operate on the workflow runs of a running Hive at --server (env HIVE_SERVER)
with --token (env HIVE_TOKEN, else the admin token in <--data-dir>/admin.token).
A run is a DAG of steps handed, step by step, to a swarm. Start one from a
JSON file of steps or from a saved definition (hive definitions), then
pause, resume or cancel it, approve or reject its approval gates, and retry
failed steps. Reads need any token; the rest an operator or admin token.
Output is a table, or with -o json the server's JSON (a list's items as one
array).`,
		Example: `  hive workflows start --swarm <swarm id> --definition release
  hive workflows get <run id>
  hive workflows approve <run id> ship --comment 'go'`,
		PersistentPreRunE: func(*cobra.Command, []string) error { return o.validate() },
	}
	o.register(cmd)
	cmd.AddCommand(newWorkflowsListCommand(&o), newWorkflowsGetCommand(&o), newWorkflowsStartCommand(&o))
	cmd.AddCommand(
		newRunControlCommand(&o, "pause", "Pause a run: no new assignments; running tasks finish", (*client.Client).PauseRun),
		newRunControlCommand(&o, "resume", "Resume a paused run", (*client.Client).ResumeRun),
		newRunControlCommand(&o, "cancel", "Cancel a run: running tasks are told to stop and their results are ignored", (*client.Client).CancelRun),
		newStepCommand(&o, "approve", "Approve a step waiting at its approval gate", (*client.Client).ApproveStep),
		newStepCommand(&o, "reject", "Reject a step waiting at its approval gate", (*client.Client).RejectStep),
		newStepCommand(&o, "retry", "Try a failed step again", (*client.Client).RetryStep),
	)
	return cmd
}

func newWorkflowsListCommand(o *remoteOptions) *cobra.Command {
	var f client.RunFilter
	var pages pageFlags
	cmd := &cobra.Command{
		Use:     "list [--status S] [--swarm ID] [--limit N] [--all]",
		Short:   "List workflow runs",
		Example: "  hive workflows list --status running --swarm <swarm id>",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.listEntries(cmd, pages, func(api *client.Client, p client.PageRequest) (client.Page[client.Entry], error) {
				f.PageRequest = p
				return api.ListRuns(cmd.Context(), f)
			}, "ID", "NAME", "SWARM", "STATUS", "CREATED")
		},
	}
	cmd.Flags().StringVar(&f.Status, "status", "", "only runs in this status: running, paused, budget_exhausted, completed, failed or cancelled")
	cmd.Flags().StringVar(&f.SwarmID, "swarm", "", "only runs of this swarm")
	pages.register(cmd)
	return cmd
}

func newWorkflowsGetCommand(o *remoteOptions) *cobra.Command {
	var w waitFlags
	cmd := &cobra.Command{
		Use:     "get ID [--wait [--wait-timeout D]]",
		Short:   "Show a run and each of its steps: status, attempt, agent, timings",
		Long:    "Show a run and each of its steps: status, attempt, agent, timings.\n\n" + fmt.Sprintf(waitHelp, "run"),
		Example: "  hive workflows get <run id>\n  hive workflows get <run id> -o json   # with outputs, usage and the timeline\n  hive workflows get <run id> --wait --wait-timeout 10m",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !w.wait {
				return o.runCommand(cmd, func(api *client.Client) (client.Run, error) { return api.Run(cmd.Context(), args[0]) })
			}
			api, err := o.awaitingClient()
			if err != nil {
				return err
			}
			return o.awaitRun(cmd, api, args[0], 0, &w)
		},
	}
	w.register(cmd, "run")
	return cmd
}

func newWorkflowsStartCommand(o *remoteOptions) *cobra.Command {
	var r client.NewRun
	var file string
	var budget client.Budget
	var cf commandFlags
	var w waitFlags
	cmd := &cobra.Command{
		Use:   "start --swarm ID (--file DEF.json | --definition NAME [--version N]) [--name N] [--budget-tokens N] [--wait [--wait-timeout D]]",
		Short: "Start a workflow run on a swarm",
		Long: `Start a run of a DAG of steps on a swarm's agents. The steps come from
--file, a JSON file holding either an array of steps or a definition
({"name", "description", "steps"}, as hive definitions save takes), or from
a saved definition named by --definition (its --version, default the
newest). A step is {"id", "capability", "depends_on", "input", "retry":
{"max_attempts", "backoff"}, "timeout", "approval", "priority", "planner"}.
Unknown dependencies, cycles and duplicate ids are refused, naming the field.

` + fmt.Sprintf(waitHelp, "run"),
		Example: `  hive workflows start --swarm <swarm id> --file release.json
  hive workflows start --swarm <swarm id> --definition release --version 2 --name 'release 1.4' --budget-tokens 200000
  hive workflows start --swarm <swarm id> --definition release --wait --wait-timeout 30m && echo shipped`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (file == "") == (r.Definition == "") {
				return errors.New("give one of --file and --definition")
			}
			if file != "" {
				def, err := readDefinition(file)
				if err != nil {
					return err
				}
				r.Steps = def.Steps
				if r.Name == "" {
					r.Name = def.Name
				}
			}
			if budget != (client.Budget{}) {
				r.Budget = &budget
			}
			if !w.wait {
				return o.runCommand(cmd, func(api *client.Client) (client.Run, error) {
					return api.StartRun(cmd.Context(), r, cf.options()...)
				})
			}
			api, err := o.awaitingClient()
			if err != nil {
				return err
			}
			started, err := api.StartRun(cmd.Context(), r, cf.options()...)
			if err != nil {
				return err
			}
			return o.awaitRun(cmd, api, started.ID, started.Position, &w)
		},
	}
	f := cmd.Flags()
	f.StringVar(&r.SwarmID, "swarm", "", "the swarm whose agents do the steps (required)")
	f.StringVar(&file, "file", "", "a JSON file of steps, or of a definition")
	f.StringVar(&r.Definition, "definition", "", "the name of a saved definition")
	f.IntVar(&r.DefinitionVersion, "version", 0, "the definition's version (default: the newest)")
	f.StringVar(&r.Name, "name", "", "the run's name (default: the definition's name and version)")
	f.Int64Var(&budget.Tokens, "budget-tokens", 0, "tokens the run may spend (0: no limit)")
	f.Int64Var(&budget.CostMicros, "budget-cost-micros", 0, "cost the run may spend, in millionths (0: no limit)")
	cf.register(cmd)
	w.register(cmd, "run")
	_ = cmd.MarkFlagRequired("swarm")
	return cmd
}

// readDefinition reads a JSON file holding a definition or only its steps
// (an array).
func readDefinition(path string) (client.NewDefinition, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return client.NewDefinition{}, err
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '[' {
		if !json.Valid(raw) {
			return client.NewDefinition{}, fmt.Errorf("%s: not JSON", path)
		}
		return client.NewDefinition{Steps: raw}, nil
	}
	var def client.NewDefinition
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&def); err != nil {
		return client.NewDefinition{}, fmt.Errorf("%s: want {\"name\", \"description\", \"steps\"} or an array of steps: %w", path, err)
	}
	return def, nil
}

// runControl is a client's call of an operator's command on a run.
type runControl func(api *client.Client, ctx context.Context, runID string, n client.Note, opts ...client.CallOption) (client.Run, error)

// stepControl is a client's call of an operator's command on a run's step.
type stepControl func(api *client.Client, ctx context.Context, runID, stepID string, n client.Note, opts ...client.CallOption) (client.Run, error)

// newRunControlCommand is pause, resume or cancel.
func newRunControlCommand(o *remoteOptions, verb, short string, control runControl) *cobra.Command {
	var n client.Note
	var cf commandFlags
	cmd := &cobra.Command{
		Use:     verb + " ID [--reason R]",
		Short:   short,
		Example: fmt.Sprintf("  hive workflows %s <run id> --reason 'incident 42'", verb),
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runCommand(cmd, func(api *client.Client) (client.Run, error) {
				return control(api, cmd.Context(), args[0], n, cf.options()...)
			})
		},
	}
	if verb != "resume" {
		cmd.Flags().StringVar(&n.Reason, "reason", "", "why, for the record")
	}
	cmd.Flags().StringVar(&n.By, "by", "", "who, for the record (default: the token's principal only)")
	cf.register(cmd)
	return cmd
}

// newStepCommand is approve, reject or retry.
func newStepCommand(o *remoteOptions, verb, short string, control stepControl) *cobra.Command {
	var n client.Note
	var cf commandFlags
	use := verb + " RUN STEP [--comment C]"
	if verb == "retry" {
		use = "retry RUN STEP"
	}
	cmd := &cobra.Command{
		Use:     use,
		Short:   short,
		Example: fmt.Sprintf("  hive workflows %s <run id> ship", verb),
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.runCommand(cmd, func(api *client.Client) (client.Run, error) {
				return control(api, cmd.Context(), args[0], args[1], n, cf.options()...)
			})
		},
	}
	if verb != "retry" {
		cmd.Flags().StringVar(&n.Comment, "comment", "", "a comment, for the record")
	}
	cmd.Flags().StringVar(&n.By, "by", "", "who, for the record (default: the token's principal only)")
	cf.register(cmd)
	return cmd
}

// runCommand calls Hive with call and shows the run it answers.
func (o *remoteOptions) runCommand(cmd *cobra.Command, call func(*client.Client) (client.Run, error)) error {
	api, err := o.client()
	if err != nil {
		return err
	}
	r, err := call(api)
	if err != nil {
		return err
	}
	return o.show(cmd, r.Raw, func() error { return writeRun(cmd.OutOrStdout(), r) })
}

// writeRun shows a run, then one row per step.
func writeRun(w io.Writer, r client.Run) error {
	t := newTable(w, "ID", "NAME", "SWARM", "STATUS", "STEPS", "STARTED", "FINISHED", "TOOK")
	status := r.Status
	if r.StatusReason != "" {
		status += " (" + r.StatusReason + ")"
	}
	t.row(r.ID, r.Name, r.SwarmID, status, fmt.Sprintf("%d/%d", r.StepsCompleted, r.StepsTotal), timeText(r.StartedAt), timeText(r.FinishedAt), took(r.StartedAt, r.FinishedAt))
	if err := t.flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	t = newTable(w, "STEP", "STATUS", "ATTEMPT", "AGENT", "TASK", "READY", "ASSIGNED", "FINISHED", "TOOK", "ERROR")
	for _, s := range r.Steps {
		t.row(s.ID, s.Status, s.Attempt, s.AgentID, s.TaskID, timeText(s.ReadyAt), timeText(s.AssignedAt), timeText(s.FinishedAt), took(s.AssignedAt, s.FinishedAt), s.Error)
	}
	return t.flush()
}
