package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"hive/events"
	"hive/events/pebblestore"
	"hive/projections"
)

func newProjectionsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "projections",
		Short: "Manage the saved read models of a data dir",
		Long: `The read models (agents board, swarms, runs, queue, throughput, feed,
principals...) are built from the event log and saved, each with the
position it has reached, in <data-dir>/projections, so that a server
resumes them at start instead of replaying the log.`,
	}
	cmd.AddCommand(newProjectionsRebuildCommand())
	return cmd
}

func newProjectionsRebuildCommand() *cobra.Command {
	var dataDir, store string
	cmd := &cobra.Command{
		Use:   "rebuild [NAME...]",
		Short: "Rebuild read models from the event log, offline",
		Long: `Rebuild the named read models (all of them without a name) from position
zero of the event log in --data-dir, or of the store --store URL names
(env HIVE_STORE), and save them in <data-dir>/projections in place of
their saved state. Run it while no server uses the data dir; the event log
is only read. A server started afterwards resumes from the rebuilt states.
With --store, it also makes a data dir fit a store that it was not built
from (hive serve refuses read models saved beyond the store's end).`,
		Example: `  hive projections rebuild --data-dir ./data
  hive projections rebuild runs feed --data-dir ./data
  hive projections rebuild --store postgres://hive@db/hive --data-dir ./data`,
		RunE: func(cmd *cobra.Command, names []string) error {
			chosen, err := persistentReadModels(names)
			if err != nil {
				return err
			}
			log, err := openRebuildLog(cmd, dataDir, store)
			if err != nil {
				return err
			}
			defer log.Close()
			states, err := projections.OpenDir(filepath.Join(dataDir, "projections"))
			if err != nil {
				return err
			}
			return rebuild(cmd.Context(), cmd.OutOrStdout(), log, states, chosen)
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "./data", "data dir of the server (env HIVE_DATA_DIR)")
	envFlags(cmd.Flags(), map[string]string{"data-dir": "HIVE_DATA_DIR"})
	registerStore(cmd.Flags(), &store, "read the log from it instead of the data dir's embedded store")
	return cmd
}

// openRebuildLog opens the log a rebuild reads: the store the URL store
// names, or the embedded store of dataDir.
func openRebuildLog(cmd *cobra.Command, dataDir, store string) (events.Store, error) {
	u, err := parseStoreURL(store)
	if err != nil {
		return nil, err
	}
	if u.backend == embedded {
		store, err := openEventLog(dataDir)
		if err != nil {
			return nil, err
		}
		return store, nil
	}
	opened, err := openStore(cmd.Context(), u, toolLogger(cmd.ErrOrStderr()))
	if err != nil {
		return nil, err
	}
	return opened.Store, nil
}

// persistentReadModels returns fresh instances of the named persistent read
// models, or of all of them.
func persistentReadModels(names []string) ([]projections.Persistent, error) {
	var all []projections.Persistent
	var known []string
	for _, p := range newReadModels().all() {
		if pp, ok := p.(projections.Persistent); ok {
			all = append(all, pp)
			known = append(known, p.Name())
		}
	}
	if len(names) == 0 {
		return all, nil
	}
	var out []projections.Persistent
	for _, name := range names {
		i := slices.Index(known, name)
		if i < 0 {
			return nil, fmt.Errorf("no read model %q: the read models are %v", name, known)
		}
		out = append(out, all[i])
	}
	return out, nil
}

// pageReader is the part of the event log a rebuild reads.
type pageReader interface {
	ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error)
}

// rebuild applies the whole log to each read model and saves it, printing
// a line per read model to w.
func rebuild(ctx context.Context, w io.Writer, log pageReader, states projections.StateStore, ps []projections.Persistent) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "READ MODEL\tEVENTS\tPOSITION\tTOOK")
	for _, p := range ps {
		start := time.Now()
		n, err := applyLog(ctx, log, p, math.MaxUint64)
		if err != nil {
			return err
		}
		state, err := p.MarshalState()
		if err != nil {
			return fmt.Errorf("%s: %w", p.Name(), err)
		}
		if err := states.Save(p.Name(), state); err != nil {
			return err
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\n", p.Name(), n, p.Checkpoint(), time.Since(start).Round(time.Millisecond))
	}
	return tw.Flush()
}

// applyLog applies the events of the log after p's checkpoint, up to
// position to, to p and returns how many.
func applyLog(ctx context.Context, log pageReader, p projections.Projection, to uint64) (int, error) {
	n := 0
	for p.Checkpoint() < to {
		page, err := log.ReadAll(ctx, p.Checkpoint(), 4096)
		if err != nil {
			return n, fmt.Errorf("read the log: %w", err)
		}
		if len(page) == 0 {
			return n, nil
		}
		prev := p.Checkpoint()
		for i := range page {
			if page[i].Position > to {
				page = page[:i]
				break
			}
			if err := p.Apply(events.NewCommitted(page[i], prev)); err != nil {
				return n, fmt.Errorf("%w: %s at %s version %d (position %d): %w",
					projections.ErrFailed, p.Name(), page[i].Stream, page[i].Version, page[i].Position, err)
			}
			prev = page[i].Position
		}
		n += len(page)
		if lv, ok := p.(projections.Live); ok {
			// Nobody follows an offline rebuild live: let it forget.
			if _, err := lv.Changed(nil); err != nil {
				return n, fmt.Errorf("%s: %w", p.Name(), err)
			}
		}
	}
	return n, nil
}

// openEventLog opens the event store of the data dir at dataDir, which
// must exist.
func openEventLog(dataDir string) (*pebblestore.Store, error) {
	dir := filepath.Join(dataDir, "events")
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("no event store in data dir %s: %w", dataDir, err)
	}
	store, err := pebblestore.Open(pebblestore.Config{Dir: dir})
	return store, explainLogDamage(err)
}
