package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"hive/actors/replay"
	"hive/actors/swarm"
	"hive/events"
)

// replayOptions are the flags of hive replay.
type replayOptions struct {
	remoteOptions
	at     string
	diff   bool
	whatIf string
}

func newReplayCommand() *cobra.Command {
	var o replayOptions
	cmd := &cobra.Command{
		Use:   "replay ENTITY (--at POINT | --diff A B | --what-if WEIGHTS)",
		Short: "An entity's state at a point of the log, what changed between two, or a swarm's assignments under other weights",
		Long: `Rebuild an entity (ENTITY as kind/id, e.g. swarm/<id>, or its stream name)
from the log with its own evolve function, as its actor would:

  --at POINT      its state at POINT: a global position, or a time (RFC 3339);
                  from the entity's snapshot when one is at or before POINT
  --diff A B      what changed between POINT A and POINT B, field by field:
                  "+ path: value" added, "- path: value" removed,
                  "~ path: from -> to" changed
  --what-if W     (a swarm) re-run every recorded assignment with the weights
                  W, e.g. 'capability=1,load=0.5' (capability, load, success,
                  speed; those not named keep each assignment's recorded
                  value), and list the assignments that would differ

Online through the API of the Hive at --server, offline with --data-dir
DIR and no --server (read-only), or from the store --store URL names
(env HIVE_STORE), read directly. Output is text, or with -o json one JSON
document, or with -o jsonl one JSON object a line.`,
		Example: `  hive replay swarm/<id> --at 1200 --data-dir ./data
  hive replay workflow/<run id> --at 2026-11-01T12:00:00Z
  hive replay agent/<id> --diff 100 2026-11-01T12:30:00Z
  hive replay swarm/<id> --what-if 'capability=1,load=0'`,
		Args: o.checkArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ref, err := replay.ParseEntity(args[0])
			if err != nil {
				return err
			}
			return withLog(cmd, &o.remoteOptions, func(ctx context.Context, src logSource) error {
				r := replay.New(src, kindsOnly())
				w := cmd.OutOrStdout()
				switch {
				case o.whatIf != "":
					return whatIf(ctx, w, r, ref.ID, o.whatIf, o.output)
				case o.diff:
					return replayDiff(ctx, w, r, args[0], args[1], args[2], o.output)
				}
				return replayAt(ctx, w, r, args[0], o.at, o.output)
			})
		},
	}
	o.register(cmd)
	o.registerStore(cmd.Flags())
	cmd.PersistentFlags().Lookup("output").Usage = "output format: table, json or jsonl"
	cmd.Flags().StringVar(&o.at, "at", "", "the entity's state at this global position or time (RFC 3339)")
	cmd.Flags().BoolVar(&o.diff, "diff", false, "what changed between the two points given after ENTITY")
	cmd.Flags().StringVar(&o.whatIf, "what-if", "", "re-run a swarm's assignments with these weights, e.g. capability=1,load=0.5")
	return cmd
}

// checkArgs checks that exactly one of the modes is asked for, with its
// arguments.
func (o *replayOptions) checkArgs(cmd *cobra.Command, args []string) error {
	modes := 0
	for _, on := range []bool{o.at != "", o.diff, o.whatIf != ""} {
		if on {
			modes++
		}
	}
	want := 1
	if o.diff {
		want = 3
	}
	switch {
	case modes != 1:
		return errors.New("give one of --at POINT, --diff A B and --what-if WEIGHTS")
	case len(args) != want && o.diff:
		return errors.New("--diff needs ENTITY A B")
	case len(args) != want:
		return errors.New("give one ENTITY")
	case o.whatIf != "" && !strings.HasPrefix(args[0], swarm.Kind):
		return fmt.Errorf("--what-if replays a swarm, not %s", args[0])
	}
	return checkOutput(o.output)
}

// parsePoint reads a point of the log: a global position or a time.
func parsePoint(s string) (replay.Target, error) {
	if n, err := strconv.ParseUint(s, 10, 64); err == nil && n > 0 {
		return replay.Target{Position: n}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return replay.Target{}, fmt.Errorf("%w: point %q: want a global position (from 1) or an RFC 3339 time", events.ErrInvalidArgument, s)
	}
	return replay.Target{Time: t}, nil
}

func stateAt(ctx context.Context, r *replay.Replayer, entity, point string) (replay.State, error) {
	ref, err := replay.ParseEntity(entity)
	if err != nil {
		return replay.State{}, err
	}
	target, err := parsePoint(point)
	if err != nil {
		return replay.State{}, err
	}
	return r.At(ctx, ref, target)
}

func replayAt(ctx context.Context, w io.Writer, r *replay.Replayer, entity, point, format string) error {
	st, err := stateAt(ctx, r, entity, point)
	if err != nil {
		return err
	}
	if format == "jsonl" {
		return writeLines(w, []replay.State{st})
	}
	if format == "json" {
		return writeJSON(w, st)
	}
	from := "the first event"
	if st.Snapshot > 0 {
		from = fmt.Sprintf("the snapshot at version %d", st.Snapshot)
	}
	fmt.Fprintf(w, "%s at %s: version %d (position %d, %s); %d events applied from %s\n",
		st.Entity, point, st.Version, st.Position, st.RecordedAt.Format(time.RFC3339), st.Applied, from)
	return writeJSON(w, st.View)
}

func replayDiff(ctx context.Context, w io.Writer, r *replay.Replayer, entity, a, b, format string) error {
	sa, err := stateAt(ctx, r, entity, a)
	if err != nil {
		return err
	}
	sb, err := stateAt(ctx, r, entity, b)
	if err != nil {
		return err
	}
	changes, err := replay.Diff(sa.View, sb.View)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		return writeJSON(w, changes)
	case "jsonl":
		return writeLines(w, changes)
	}
	fmt.Fprintf(w, "%s from %s (version %d) to %s (version %d): %d changes\n", sa.Entity, a, sa.Version, b, sb.Version, len(changes))
	for _, c := range changes {
		var err error
		switch c.Op {
		case replay.Added:
			_, err = fmt.Fprintf(w, "+ %s: %s\n", c.Path, c.To)
		case replay.Removed:
			_, err = fmt.Fprintf(w, "- %s: %s\n", c.Path, c.From)
		default:
			_, err = fmt.Fprintf(w, "~ %s: %s -> %s\n", c.Path, c.From, c.To)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func whatIf(ctx context.Context, w io.Writer, r *replay.Replayer, swarmID, weights, format string) error {
	o, err := replay.ParseOverrides(weights)
	if err != nil {
		return err
	}
	rep, err := r.WhatIf(ctx, swarmID, o)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		return writeJSON(w, rep)
	case "jsonl":
		return writeLines(w, rep.Divergences)
	}
	fmt.Fprintf(w, "swarm %s with %s: %d of %d assignments would differ (%d could not be re-decided)\n",
		rep.Swarm, overridesText(o), rep.Differ, rep.Assignments, rep.Unreplayable)
	if rep.Differ == 0 {
		return nil
	}
	t := newTable(w, "POSITION", "TASK", "ATTEMPT", "RECORDED", "SCORE", "ALTERNATIVE", "SCORE", "RECORDED RESCORED")
	for _, d := range rep.Divergences {
		t.row(d.Position, d.TaskID, d.Attempt, d.Recorded, score(d.RecordedScore), d.Alternative, score(d.AlternativeScore), score(d.RecordedRescored))
	}
	return t.flush()
}

// overridesText shows weights as name=value in name order.
func overridesText(o replay.Overrides) string {
	names := make([]string, 0, len(o))
	for name := range o {
		names = append(names, name)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, name := range names {
		parts[i] = fmt.Sprintf("%s=%g", name, o[name])
	}
	return strings.Join(parts, ",")
}

func score(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
