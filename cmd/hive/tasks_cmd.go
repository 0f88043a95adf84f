package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"hive/http/client"
)

func newTasksCommand() *cobra.Command {
	var o remoteOptions
	cmd := &cobra.Command{
		Use:   "tasks",
		Short: "Read a task, and report its result by hand, in a running Hive",
		Long: `Read a task of a running Hive at --server (env HIVE_SERVER), finished or not, or
report a task's result as its agent would (a worker does that itself: these
are for operators standing in for an agent, and for tests). Only the agent
the task is assigned to may report; reporting the same result again changes
nothing. Reporting needs an admin token or the agent's own agent token.
Output is a table, or with -o json the server's JSON.`,
		Example: `  hive tasks get <task id>
  hive tasks complete <task id> --agent <agent id> --result '{"ok": true}'
  hive tasks fail <task id> --agent <agent id> --reason 'tests failed'`,
		PersistentPreRunE: func(*cobra.Command, []string) error { return o.validate() },
	}
	o.register(cmd)
	cmd.AddCommand(newTasksGetCommand(&o), newTasksCompleteCommand(&o), newTasksFailCommand(&o))
	return cmd
}

func newTasksGetCommand(o *remoteOptions) *cobra.Command {
	var w waitFlags
	cmd := &cobra.Command{
		Use:     "get ID [--wait [--wait-timeout D]]",
		Short:   "Show a task, finished or not (with -o json: its output, failure and every attempt)",
		Long:    "Show a task, finished or not (with -o json: its output, failure and every attempt).\n\n" + fmt.Sprintf(waitHelp, "task"),
		Example: "  hive tasks get <task id> -o json\n  hive tasks get <task id> --wait --wait-timeout 5m",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if w.wait {
				api, err := o.awaitingClient()
				if err != nil {
					return err
				}
				return o.awaitTask(cmd, api, args[0], 0, &w)
			}
			api, err := o.client()
			if err != nil {
				return err
			}
			t, err := api.Task(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return o.show(cmd, t.Raw, func() error { return writeTasks(cmd.OutOrStdout(), t) })
		},
	}
	w.register(cmd, "task")
	return cmd
}

func newTasksCompleteCommand(o *remoteOptions) *cobra.Command {
	var r client.Result
	var result string
	var cf commandFlags
	cmd := &cobra.Command{
		Use:   "complete ID --agent ID --result JSON",
		Short: "Report a task's result as its agent",
		Example: `  hive tasks complete <task id> --agent <agent id> --result '{"ok": true}'
  hive tasks complete <task id> --agent <agent id> --result @output.json --model some-model --input-tokens 1200`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			raw, err := jsonArg(cmd, "result", result)
			if err != nil {
				return err
			}
			r.Output = raw
			return o.reportCommand(cmd, func(api *client.Client) (client.TaskReport, error) {
				return api.CompleteTask(cmd.Context(), args[0], r, cf.options()...)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&r.AgentID, "agent", "", "the agent the task is assigned to (required)")
	f.StringVar(&result, "result", "null", "the task's output: JSON, @FILE or - (standard input); at most 256 KiB")
	f.StringVar(&r.Usage.Model, "model", "", "the model used, for the usage")
	f.Int64Var(&r.Usage.InputTokens, "input-tokens", 0, "input tokens used")
	f.Int64Var(&r.Usage.OutputTokens, "output-tokens", 0, "output tokens used")
	f.Int64Var(&r.Usage.CostMicros, "cost-micros", 0, "cost, in millionths")
	cf.register(cmd)
	_ = cmd.MarkFlagRequired("agent")
	return cmd
}

func newTasksFailCommand(o *remoteOptions) *cobra.Command {
	var fl client.Failure
	var cf commandFlags
	cmd := &cobra.Command{
		Use:     "fail ID --agent ID --reason R [--retryable=false]",
		Short:   "Report that an agent could not do a task",
		Long:    "Report a task failed. A retryable failure is tried again, on any member, while attempts remain.",
		Example: "  hive tasks fail <task id> --agent <agent id> --reason 'tests failed' --retryable=false",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.reportCommand(cmd, func(api *client.Client) (client.TaskReport, error) {
				return api.FailTask(cmd.Context(), args[0], fl, cf.options()...)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&fl.AgentID, "agent", "", "the agent the task is assigned to (required)")
	f.StringVar(&fl.Reason, "reason", "", "why (required)")
	f.BoolVar(&fl.Retryable, "retryable", true, "whether the task may be tried again")
	cf.register(cmd)
	for _, name := range []string{"agent", "reason"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// reportCommand calls Hive with call and shows the report it answers.
func (o *remoteOptions) reportCommand(cmd *cobra.Command, call func(*client.Client) (client.TaskReport, error)) error {
	api, err := o.client()
	if err != nil {
		return err
	}
	r, err := call(api)
	if err != nil {
		return err
	}
	return o.show(cmd, r.Raw, func() error {
		t := newTable(cmd.OutOrStdout(), "TASK", "REPORTED", "AGENT", "SWARM", "POSITION")
		t.row(r.TaskID, r.Reported, r.AgentID, r.SwarmID, r.Position)
		return t.flush()
	})
}

func writeTasks(w io.Writer, tasks ...client.Task) error {
	t := newTable(w, "TASK", "STATUS", "CAPABILITY", "AGENT", "ATTEMPT", "PRIORITY", "RUN", "STEP", "SUBMITTED", "FINISHED")
	for _, k := range tasks {
		t.row(k.ID, k.Status, k.Capability, k.AgentID, k.Attempt, k.Priority, k.RunID, k.StepID, timeText(k.SubmittedAt), timeText(k.FinishedAt))
	}
	return t.flush()
}
