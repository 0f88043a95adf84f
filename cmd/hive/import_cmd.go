package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"hive/events"
	"hive/events/archive"
	"hive/events/pebblestore"
)

// importRun bounds the events of one stream appended at once.
const importRun = 1024

func newImportCommand() *cobra.Command {
	var dataDir string
	cmd := &cobra.Command{
		Use:   "import FILE --data-dir DIR",
		Short: "Restore an exported event log into an empty data dir",
		Long: `Read a file written by hive export (NDJSON or binary, recognised by its
first bytes), verify it whole (hash chains, versions, positions, distinct
ids, the trailer, and that each NDJSON line's readable payload is what its
payload_base64 decodes to: hive verify --archive FILE) and,
only if it passes, append its events in order to the event store of the
empty data dir --data-dir, keeping their ids, recorded times, metadata and
payload bytes: the restored events and their hashes are identical. A file
that fails verification is refused, naming its first bad line (NDJSON) or
record (binary). The store is built in a temporary directory beside
events/ and renamed into place only once every event is appended and the
store verifies; a failed import leaves none. Run it while no server uses
the data dir.`,
		Example: `  hive import hive.ndjson --data-dir ./restored`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := importFile(cmd.Context(), args[0], dataDir)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "imported %d events into %s\n", n, dataDir)
			return err
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the data dir to restore into; its event store must be empty")
	_ = cmd.MarkFlagRequired("data-dir") // the flag exists: cannot fail
	return cmd
}

// importFile verifies the archive at path, then restores its events into
// the event store of dataDir, which must be absent or empty, and returns
// how many. It builds the store in a temporary directory beside events/
// and renames it into place only once every append succeeded and the
// store verifies, so that a failed import leaves no half-restored store.
func importFile(ctx context.Context, path, dataDir string) (n int, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	defer f.Close()
	r, format, err := archive.NewReader(f)
	if err != nil {
		return 0, fmt.Errorf("import %s: %w", path, err)
	}
	if _, err := archive.Verify(r, format); err != nil {
		return 0, fmt.Errorf("import: %s refused, it fails verification: %w", path, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	if r, _, err = archive.NewReader(f); err != nil {
		return 0, fmt.Errorf("import %s: %w", path, err)
	}
	target := filepath.Join(dataDir, "events")
	if err := requireEmpty(ctx, target); err != nil {
		return 0, err
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	tmp, err := os.MkdirTemp(dataDir, ".events.import-*")
	if err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	if n, err = restore(ctx, r, tmp); err == nil {
		err = replaceDir(tmp, target)
	}
	if err != nil {
		return 0, errors.Join(err, os.RemoveAll(tmp))
	}
	return n, nil
}

// requireEmpty refuses an event store at dir that has events, or whose
// head cannot be read.
func requireEmpty(ctx context.Context, dir string) error {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	store, err := pebblestore.OpenReadOnly(pebblestore.Config{Dir: dir})
	if err != nil {
		return fmt.Errorf("import: the event store in %s: %w", dir, err)
	}
	head, err := store.Head(ctx)
	err = errors.Join(err, store.Close())
	if err != nil {
		return fmt.Errorf("import: the event store in %s: cannot read its head: %w", dir, err)
	}
	if head != 0 {
		return fmt.Errorf("import: the event store in %s has %d events: import needs an empty one", dir, head)
	}
	return nil
}

// restore appends every event of r to a new store in dir, checks the
// store with its own Verify, and returns how many events it holds.
func restore(ctx context.Context, r archive.Reader, dir string) (n int, err error) {
	store, err := pebblestore.Open(pebblestore.Config{Dir: dir})
	if err != nil {
		return 0, fmt.Errorf("import: %w", err)
	}
	defer func() { err = errors.Join(err, store.Close()) }()
	if n, err = appendAll(ctx, r, store); err != nil {
		return 0, err
	}
	c, err := store.Verify(ctx)
	if err != nil {
		return 0, fmt.Errorf("import: the restored store fails verification: %w", err)
	}
	if c.Events != uint64(n) {
		return 0, fmt.Errorf("import: the restored store holds %d events, the archive %d", c.Events, n)
	}
	return n, nil
}

// replaceDir renames dir to target, replacing target if it exists (an
// empty store, as requireEmpty checked).
func replaceDir(dir, target string) error {
	if err := os.RemoveAll(target); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := os.Rename(dir, target); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

// appender is the part of the store an import writes through.
type appender interface {
	Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error)
}

// appendAll appends every event of r to s in order, each run of
// consecutive events of one stream in one append, and returns how many.
func appendAll(ctx context.Context, r archive.Reader, s appender) (int, error) {
	var run []events.Event
	var stream string
	var first uint64 // the version of run[0]
	n := 0
	flush := func() error {
		if len(run) == 0 {
			return nil
		}
		last := first + uint64(len(run)) - 1
		res, err := s.Append(ctx, stream, events.Exact(first-1), run)
		if err != nil {
			return fmt.Errorf("import: %s versions %d-%d: %w", stream, first, last, err)
		}
		if res.LastVersion != last {
			return fmt.Errorf("import: %s versions %d-%d: the store is at version %d after them (an event id it had already?)", stream, first, last, res.LastVersion)
		}
		n += len(run)
		run = run[:0]
		return nil
	}
	for {
		var e events.Envelope
		err := r.Next(&e)
		if errors.Is(err, io.EOF) {
			return n, flush()
		}
		if err != nil {
			return n, fmt.Errorf("import: %w", err)
		}
		if e.Stream != stream || len(run) == importRun {
			if err := flush(); err != nil {
				return n, err
			}
			stream, first = e.Stream, e.Version
		}
		run = append(run, events.Event{ID: e.ID, Type: e.Type, SchemaVersion: e.SchemaVersion, Payload: e.Payload, RecordedAt: e.RecordedAt, Metadata: e.Metadata})
	}
}
