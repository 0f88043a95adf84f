package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"hive/actors"
	"hive/actors/replay"
	"hive/actors/swarm"
)

func newAuditCommand() *cobra.Command {
	var o remoteOptions
	var correlation string
	cmd := &cobra.Command{
		Use:   "audit ENTITY | audit --correlation ID",
		Short: "An entity's decisions with who caused them and why, or one command's causal tree",
		Long: `Show an entity's decisions in order (ENTITY as kind/id, e.g. swarm/<id>,
or as its stream name, swarm-<id>), each with who caused it (principal,
causation, correlation) and why: an assignment's candidates and their
scores, a consensus's votes and rule, a failed attempt's reason and retry.

With --correlation ID, the causal tree of one command instead: every event
of the correlation under the event (or the command) its causation id names.

Online through the API of the Hive at --server, offline with --data-dir
DIR and no --server (read-only), or from the store --store URL names
(env HIVE_STORE), read directly. Output is text, or with -o json one JSON
document, or with -o jsonl one JSON object a line (a decision; a tree node
with its depth).`,
		Example: `  hive audit swarm/<swarm id> --data-dir ./data
  hive audit workflow-<run id> -o jsonl
  hive audit --correlation release-42`,
		Args: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 1) == (correlation != "") {
				return errors.New("give either ENTITY or --correlation ID")
			}
			return checkOutput(o.output)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return withLog(cmd, &o, func(ctx context.Context, src logSource) error {
				r := replay.New(src, kindsOnly())
				if correlation != "" {
					return auditCorrelation(ctx, cmd.OutOrStdout(), r, correlation, o.output)
				}
				return auditEntity(ctx, cmd.OutOrStdout(), r, args[0], o.output)
			})
		},
	}
	o.register(cmd)
	o.registerStore(cmd.Flags())
	cmd.PersistentFlags().Lookup("output").Usage = "output format: table, json or jsonl"
	cmd.Flags().StringVar(&correlation, "correlation", "", "show the causal tree of this correlation id")
	return cmd
}

func auditEntity(ctx context.Context, w io.Writer, r *replay.Replayer, entity, format string) error {
	ref, err := replay.ParseEntity(entity)
	if err != nil {
		return err
	}
	ds, err := r.Audit(ctx, ref)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		return writeJSON(w, ds)
	case "jsonl":
		return writeLines(w, ds)
	}
	fmt.Fprintf(w, "%s: %d decisions\n", ref, len(ds))
	for i := range ds {
		writeDecision(w, &ds[i])
	}
	return nil
}

// writeDecision shows one decision as a block: what, who, why.
func writeDecision(w io.Writer, d *replay.Decision) {
	fmt.Fprintf(w, "\n#%d  v%d  %s  %s\n", d.Position, d.Version, d.At.Format(time.RFC3339), d.Type)
	if d.Summary != "" {
		fmt.Fprintf(w, "  %s\n", d.Summary)
	}
	fmt.Fprintf(w, "  by %s  correlation %s  causation %s\n", orDash(d.Principal), orDash(d.CorrelationID), orDash(d.CausationID))
	for i, line := range d.Why {
		label := "     "
		if i == 0 {
			label = "why: "
		}
		fmt.Fprintf(w, "  %s%s\n", label, line)
	}
}

func auditCorrelation(ctx context.Context, w io.Writer, r *replay.Replayer, correlation, format string) error {
	roots, err := r.CausalTree(ctx, correlation)
	if err != nil {
		return err
	}
	switch format {
	case "json":
		return writeJSON(w, roots)
	case "jsonl":
		return walkTree(roots, 0, func(n *replay.Node, depth int) error {
			return writeLines(w, []treeLine{{Depth: depth, Command: n.Command, Event: n.Event}})
		})
	}
	fmt.Fprintf(w, "correlation %s: %d commands\n", correlation, len(roots))
	return walkTree(roots, 0, func(n *replay.Node, depth int) error {
		indent := strings.Repeat("  ", depth)
		if n.Event == nil {
			_, err := fmt.Fprintf(w, "%scommand %s\n", indent, orDash(n.Command))
			return err
		}
		d := n.Event
		_, err := fmt.Fprintf(w, "%s└ #%d %s v%d %s  %s  (by %s)\n", indent, d.Position, d.Stream, d.Version, d.Type, d.Summary, orDash(d.Principal))
		return err
	})
}

// treeLine is a node of a causal tree as one JSON line: its depth and
// itself, without its children (the lines after it, one level deeper).
type treeLine struct {
	Depth   int              `json:"depth"`
	Command string           `json:"command,omitempty"`
	Event   *replay.Decision `json:"event,omitempty"`
}

// walkTree calls fn with every node, depth first, parents before children.
func walkTree(nodes []*replay.Node, depth int, fn func(*replay.Node, int) error) error {
	for _, n := range nodes {
		if err := fn(n, depth); err != nil {
			return err
		}
		if err := walkTree(n.Children, depth+1, fn); err != nil {
			return err
		}
	}
	return nil
}

// writeLines writes each item as one line of JSON.
func writeLines[T any](w io.Writer, items []T) error {
	enc := json.NewEncoder(w)
	for _, it := range items {
		if err := enc.Encode(it); err != nil {
			return fmt.Errorf("write JSON: %w", err)
		}
	}
	return nil
}

// kindsOnly are the kinds of entity Hive hosts, for replay, which decides
// nothing and so needs none of a swarm's defaults.
func kindsOnly() []actors.Kind {
	k, _ := kinds(swarm.Config{})
	return k
}
