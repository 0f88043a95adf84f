package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"hive/events/pebblestore"
	"hive/projections"
)

// logLossAdvice is what an operator can do about a damaged event log.
const logLossAdvice = `what to do: stop here if you can restore the data dir from a backup, or
hive import an export into an empty data dir, and start on that; to go on
without the missing events instead, start once with hive serve
--accept-log-loss (it logs what it accepts, cuts a damaged write-ahead log
where the damage starts, keeping the rest in <data-dir>/events/damaged-*,
and rebuilds the read models from what is left)`

// explainLogDamage adds to an error that says the event log is damaged
// what the operator can do about it.
func explainLogDamage(err error) error {
	if errors.Is(err, pebblestore.ErrLogDamaged) {
		return fmt.Errorf("%w\n%s", err, logLossAdvice)
	}
	return err
}

// readModelsAheadError: read models were saved at positions beyond the
// end of the event log, which therefore lost events it had acknowledged.
// It matches pebblestore.ErrLogDamaged.
type readModelsAheadError struct {
	dir   string // the directory of the saved read models
	head  uint64
	ahead []projections.Saved
}

func (e *readModelsAheadError) Error() string {
	furthest, names := e.reached()
	return fmt.Sprintf("%v: the log ends at position %d, but read models saved in %s reached position %d (%s): %d acknowledged events are missing",
		pebblestore.ErrLogDamaged, e.head, e.dir, furthest, names, furthest-e.head)
}

// reached returns the furthest position the read models ahead reached,
// and their names.
func (e *readModelsAheadError) reached() (furthest uint64, names string) {
	list := make([]string, len(e.ahead))
	furthest = e.head
	for i, s := range e.ahead {
		list[i] = s.Name
		furthest = max(furthest, s.Checkpoint)
	}
	return furthest, strings.Join(list, ", ")
}

// Is makes a readModelsAheadError match pebblestore.ErrLogDamaged.
func (e *readModelsAheadError) Is(target error) bool { return target == pebblestore.ErrLogDamaged }

// readModelsAhead checks the saved read models' positions, saved in dir,
// against head, the end of the event log: a *readModelsAheadError if any
// is beyond it.
func readModelsAhead(saved []projections.Saved, head uint64, dir string) error {
	e := &readModelsAheadError{dir: dir, head: head}
	for _, s := range saved {
		if s.Checkpoint > head {
			e.ahead = append(e.ahead, s)
		}
	}
	if len(e.ahead) == 0 {
		return nil
	}
	return e
}

// readModelEvidence turns the positions of the read models saved in dir
// into evidence for the event store: the log reached them once. A read
// model that the store then finds beyond the log, its loss accepted, is
// rebuilt from the log by the runner.
func readModelEvidence(saved []projections.Saved, dir string) []pebblestore.Evidence {
	out := make([]pebblestore.Evidence, len(saved))
	for i, s := range saved {
		out[i] = pebblestore.Evidence{Position: s.Checkpoint, Source: fmt.Sprintf("the read model %q saved in %s", s.Name, dir)}
	}
	return out
}

// savedReadModels reads the positions of the read models saved in the
// data dir, without writing anything: none if there is no directory of
// saved read models. A state that cannot be read is logged to logger.
func savedReadModels(dataDir string, logger *slog.Logger) ([]projections.Saved, string, error) {
	dir := filepath.Join(dataDir, "projections")
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, dir, nil
	}
	states, err := projections.OpenDir(dir)
	if err != nil {
		return nil, dir, err
	}
	return projections.Restore(states, logger, newReadModels().all()...), dir, nil
}

// makeDataDir creates the data dir, its owner's alone (0700), or takes
// from an existing one what group and others may do with it: it holds the
// event log with every task's input and output, and the admin token. A
// directory whose mode cannot be changed is used as it is, with a warning.
func makeDataDir(dataDir string, logger *slog.Logger) error {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	fi, err := os.Stat(dataDir)
	if err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		if err := os.Chmod(dataDir, perm&0o700); err != nil {
			logger.Warn("the data dir is open to other users and its mode cannot be changed", "data_dir", dataDir, "mode", perm, "err", err)
			return nil
		}
		logger.Info("the data dir is now its owner's alone", "data_dir", dataDir, "was", perm)
	}
	return nil
}

// verifyDataDir verifies the event log of a data dir, src, as verifyLog
// does, and checks it against the read models saved in the data dir.
func verifyDataDir(ctx context.Context, src logSource, dataDir string, w io.Writer, logger *slog.Logger) error {
	saved, dir, err := savedReadModels(dataDir, logger)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	head, err := src.Head(ctx)
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if ahead := readModelsAhead(saved, head, dir); ahead != nil {
		return explainLogDamage(errors.Join(fmt.Errorf("verify: %w", ahead), verifyLog(ctx, src, io.Discard)))
	}
	return explainLogDamage(verifyLog(ctx, src, w))
}
