package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"hive/events"
)

// followInterval is how often tail --follow asks for new events.
const followInterval = 500 * time.Millisecond

func newEventsCommand() *cobra.Command {
	var o remoteOptions
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Read the event log, online or offline",
		Long: `Read Hive's event log: every decision Hive made, in log order, with its
stream, version, type, correlation and the principal (token) that caused it.

Online (the default) through the API of the Hive at --server (env
HIVE_SERVER), with any token. Offline with --data-dir DIR and no --server:
the data dir's event store, opened read-only; refused while a server holds
it. With --store URL (env HIVE_STORE): the PostgreSQL or EventStoreDB
store that URL names, read directly, also while servers use it.

Output is a table, or with -o json one JSON array, or with -o jsonl one
JSON object a line: the events with their metadata, payload (as protobuf
JSON) and hash.`,
		Example: `  hive events list --correlation-id <id>
  hive events list --type WorkflowStepCompleted --limit 20
  hive events list --entity agent/<id> --since 1h -o jsonl
  hive events read workflow-<run id> --data-dir ./data
  hive events list --all --store postgres://hive@db/hive
  hive events tail --follow`,
		PersistentPreRunE: func(*cobra.Command, []string) error { return checkOutput(o.output) },
	}
	o.register(cmd)
	o.registerStore(cmd.PersistentFlags())
	cmd.PersistentFlags().Lookup("output").Usage = "output format: table, json or jsonl"
	cmd.AddCommand(newEventsListCommand(&o), newEventsReadCommand(&o), newEventsTailCommand(&o))
	return cmd
}

func newEventsListCommand(o *remoteOptions) *cobra.Command {
	var f eventFilter
	var limit int
	var all bool
	cmd := &cobra.Command{
		Use:   "list [filters] [--limit N | --all]",
		Short: "List the log's events in order, optionally filtered",
		Long: `List the log's events in position order, those that pass every filter
given. Without --all at most --limit events; the position to continue from
is then printed on stderr.`,
		Example: `  hive events list --correlation-id release-42 --all
  hive events list --entity swarm/<id> --type TaskAssigned --from 1000 --to 2000
  hive events list --principal token:<id> --since 2026-01-02T15:04:05Z --until 30m`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.prepare(time.Now()); err != nil {
				return err
			}
			if !all && (limit < 1 || limit > events.MaxReadLimit) {
				return fmt.Errorf("--limit %d: want 1 to %d, or --all", limit, events.MaxReadLimit)
			}
			return withLog(cmd, o, func(ctx context.Context, src logSource) error {
				p := newEventPrinter(cmd.OutOrStdout(), o.output)
				shown, more := 0, uint64(0)
				err := f.scan(ctx, src, 0, func(e *events.Envelope) error {
					if !all && shown == limit {
						more = e.Position
						return errStop
					}
					shown++
					return p.print(e)
				})
				if err != nil {
					return err
				}
				if more != 0 && o.output == "table" {
					fmt.Fprintf(cmd.ErrOrStderr(), "more: --from %d (or --all)\n", more)
				}
				return p.flush()
			})
		},
	}
	f.register(cmd)
	cmd.Flags().IntVar(&limit, "limit", 100, "show at most this many events")
	cmd.Flags().BoolVar(&all, "all", false, "show every matching event")
	return cmd
}

func newEventsReadCommand(o *remoteOptions) *cobra.Command {
	var from uint64
	var backward bool
	var limit int
	cmd := &cobra.Command{
		Use:   "read STREAM [--from V] [--backward] [--limit N]",
		Short: "Read one stream's events by version",
		Example: `  hive events read swarm-<swarm id>
  hive events read agent-<agent id> --backward --limit 10`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if limit < 1 || limit > maxOnlinePage {
				return fmt.Errorf("--limit %d: want 1 to %d", limit, maxOnlinePage)
			}
			dir, start := events.Forward, max(from, 1)
			if backward {
				dir, start = events.Backward, events.End
				if from > 0 {
					start = from
				}
			}
			return withLog(cmd, o, func(ctx context.Context, src logSource) error {
				evs, err := src.ReadStream(ctx, args[0], start, dir, limit)
				if err != nil {
					return err
				}
				p := newEventPrinter(cmd.OutOrStdout(), o.output)
				for i := range evs {
					if err := p.print(&evs[i]); err != nil {
						return err
					}
				}
				return p.flush()
			})
		},
	}
	cmd.Flags().Uint64Var(&from, "from", 0, "the first version to read (default: 1, or the newest with --backward)")
	cmd.Flags().BoolVar(&backward, "backward", false, "newest first")
	cmd.Flags().IntVar(&limit, "limit", 100, "how many events, 1 to 1000")
	return cmd
}

func newEventsTailCommand(o *remoteOptions) *cobra.Command {
	var f eventFilter
	var n int
	var follow bool
	cmd := &cobra.Command{
		Use:   "tail [filters] [-n N] [--follow]",
		Short: "Show the newest events, and with --follow those that come",
		Long: `Show the newest -n events that pass the filters, oldest first; with
--follow keep printing the events appended after them until interrupted
(through --server or --store: a data dir read offline does not grow).`,
		Example: `  hive events tail -n 50
  hive events tail --follow --entity workflow/<run id> -o jsonl`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := f.prepare(time.Now()); err != nil {
				return err
			}
			switch {
			case n < 0:
				return fmt.Errorf("-n %d: want 0 or more", n)
			case follow && o.offline(cmd):
				return errors.New("--follow needs a server (--server URL) or a store (--store URL): a data dir read offline does not grow")
			case follow && o.output == "json":
				return errors.New("--follow prints as it goes: use -o jsonl or -o table, not -o json")
			}
			return withLog(cmd, o, func(ctx context.Context, src logSource) error {
				p := newEventPrinter(cmd.OutOrStdout(), o.output)
				last, err := tail(ctx, src, &f, n, p)
				if err != nil || !follow {
					return err
				}
				return followLog(ctx, src, &f, last, p)
			})
		},
	}
	f.register(cmd)
	cmd.Flags().IntVarP(&n, "lines", "n", 20, "how many of the newest events to show")
	cmd.Flags().BoolVar(&follow, "follow", false, "keep printing new events until interrupted")
	return cmd
}

// withLog opens the log the flags name, runs use and closes it.
func withLog(cmd *cobra.Command, o *remoteOptions, use func(context.Context, logSource) error) (err error) {
	src, err := o.logSource(cmd)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, src.Close()) }()
	return use(cmd.Context(), src)
}

// tail prints the newest n events f selects and returns the position the
// log was read to. Without a filter it reads only the last n events.
func tail(ctx context.Context, src logSource, f *eventFilter, n int, p eventPrinter) (uint64, error) {
	head, err := src.Head(ctx)
	if err != nil {
		return 0, err
	}
	if f.to != 0 {
		head = min(head, f.to)
	}
	ring := make([]events.Envelope, 0, n)
	start := uint64(0)
	if *f == (eventFilter{to: f.to}) {
		start = head - min(head, uint64(n))
	}
	bounded := *f
	bounded.to = head
	err = bounded.scan(ctx, src, start, func(e *events.Envelope) error {
		if n == 0 {
			return nil
		}
		if len(ring) == n {
			ring = append(ring[:0], ring[1:]...)
		}
		ring = append(ring, *e)
		return nil
	})
	if err != nil {
		return 0, err
	}
	for i := range ring {
		if err := p.print(&ring[i]); err != nil {
			return 0, err
		}
	}
	return head, p.flush()
}

// followLog prints the events f selects after position after as they are
// appended, until ctx ends.
func followLog(ctx context.Context, src logSource, f *eventFilter, after uint64, p eventPrinter) error {
	tick := time.NewTicker(followInterval)
	defer tick.Stop()
	for {
		page, err := src.ReadAll(ctx, after, maxOnlinePage)
		if err != nil {
			return stoppedByCaller(ctx, err)
		}
		for i := range page {
			if f.to != 0 && page[i].Position > f.to {
				return p.flush()
			}
			if f.match(&page[i]) {
				if err := p.print(&page[i]); err != nil {
					return err
				}
			}
			after = page[i].Position
		}
		if err := p.flush(); err != nil {
			return err
		}
		if len(page) == maxOnlinePage {
			continue
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// stoppedByCaller hides err if it only says that ctx ended: an interrupted
// --follow has done its job.
func stoppedByCaller(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return nil
	}
	return err
}
