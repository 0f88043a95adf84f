package main

import (
	"io"

	"github.com/spf13/cobra"

	"hive/http/client"
)

func newEventsCommand() *cobra.Command {
	var o remoteOptions
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Read the event log of a running Hive",
		Long: `Read the event log of a running Hive at --server (env HIVE_SERVER): every
decision Hive made, in log order, with its stream, version, type,
correlation and the principal (token) that caused it. Needs any token.
Output is a table, or with -o json the server's JSON (the events as one
array, with their payloads and hashes).`,
		Example: `  hive events list --correlation-id <id>
  hive events list --type WorkflowStepCompleted --limit 20
  hive events read workflow-<run id>`,
		PersistentPreRunE: func(*cobra.Command, []string) error { return o.validate() },
	}
	o.register(cmd)
	cmd.AddCommand(newEventsListCommand(&o), newEventsReadCommand(&o))
	return cmd
}

func newEventsListCommand(o *remoteOptions) *cobra.Command {
	var f client.EventFilter
	var pages pageFlags
	cmd := &cobra.Command{
		Use:   "list [--stream S] [--type T] [--correlation-id C] [--limit N] [--all]",
		Short: "List the log's events in order, optionally filtered",
		Long: `List the log's events in position order. Without --all one page; the
cursor printed after it (also at the end of the log) continues from there,
now or later.`,
		Example: `  hive events list --correlation-id release-42 --all
  hive events list --stream agent-<agent id> -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			api, err := o.client()
			if err != nil {
				return err
			}
			evs, next, err := collect(cmd.Context(), pages, func(p client.PageRequest) (client.Page[client.Event], error) {
				f.PageRequest = p
				return api.ListEvents(cmd.Context(), f)
			})
			if err != nil {
				return err
			}
			if o.output == "json" {
				return writeRawList(cmd.OutOrStdout(), evs, func(e client.Event) []byte { return e.Raw })
			}
			noteMore(cmd, o, next)
			return writeEvents(cmd.OutOrStdout(), evs)
		},
	}
	cmd.Flags().StringVar(&f.Stream, "stream", "", "only events of this stream, e.g. agent-<id>, swarm-<id>, workflow-<id>")
	cmd.Flags().StringVar(&f.Type, "type", "", "only events of this type, e.g. TaskAssigned")
	cmd.Flags().StringVar(&f.CorrelationID, "correlation-id", "", "only events of this correlation: a command and its reactions")
	pages.register(cmd)
	return cmd
}

func newEventsReadCommand(o *remoteOptions) *cobra.Command {
	var r client.StreamRead
	cmd := &cobra.Command{
		Use:   "read STREAM [--from V] [--backward] [--limit N]",
		Short: "Read one stream's events by version",
		Example: `  hive events read swarm-<swarm id>
  hive events read agent-<agent id> --backward --limit 10`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			api, err := o.client()
			if err != nil {
				return err
			}
			evs, err := api.ReadStream(cmd.Context(), args[0], r)
			if err != nil {
				return err
			}
			if o.output == "json" {
				return writeRawList(cmd.OutOrStdout(), evs, func(e client.Event) []byte { return e.Raw })
			}
			return writeEvents(cmd.OutOrStdout(), evs)
		},
	}
	cmd.Flags().Uint64Var(&r.From, "from", 0, "the first version to read (default: 1, or the newest with --backward)")
	cmd.Flags().BoolVar(&r.Backward, "backward", false, "newest first")
	cmd.Flags().IntVar(&r.Limit, "limit", 0, "how many events, 1 to 1000 (default 100)")
	return cmd
}

func writeEvents(w io.Writer, evs []client.Event) error {
	t := newTable(w, "POSITION", "TIME", "STREAM", "VERSION", "TYPE", "PRINCIPAL")
	for _, e := range evs {
		t.row(e.Position, timeText(e.RecordedAt), e.Stream, e.Version, e.Type, e.Principal)
	}
	return t.flush()
}
