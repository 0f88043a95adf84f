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
	var dataDir, store string
	cmd := &cobra.Command{
		Use:   "import FILE (--data-dir DIR | --store URL)",
		Short: "Restore an exported event log into an empty data dir or store",
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
the data dir.

With --store URL (env HIVE_STORE) it restores into the PostgreSQL or
EventStoreDB store that URL names instead, which must hold no events (one
that does is refused, and nothing is written): into PostgreSQL as
recorded, positions included, in batches of 10,000 events; into
EventStoreDB by appending each stream's events in order, which keeps ids,
versions, payload bytes and hashes (EventStoreDB numbers the positions
itself). Then it reads the whole store back and checks it against the
archive, event by event, and its hash chains. Migrating a deployment is
hive export from the old store, then hive import into the new one, with
no server writing to either meanwhile.`,
		Example: `  hive import hive.ndjson --data-dir ./restored
  hive import hive.ndjson --store postgres://hive@db/hive`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			u, err := importTarget(cmd, dataDir, store)
			if err != nil {
				return err
			}
			var n int
			where := dataDir
			if u.backend == embedded {
				n, err = importFile(cmd.Context(), args[0], dataDir)
			} else {
				where = u.String()
				n, err = importIntoStore(cmd.Context(), args[0], u, toolLogger(cmd.ErrOrStderr()))
			}
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "imported %d events into %s\n", n, where)
			return err
		},
	}
	cmd.Flags().StringVar(&dataDir, "data-dir", "", "the data dir to restore into; its event store must be empty")
	registerStore(cmd.Flags(), &store, "the store to restore into, instead of a data dir; it must hold no events")
	return cmd
}

// importTarget returns the store an import restores into: the one --store
// names, or the embedded one of --data-dir. --store given and --data-dir
// are refused together; HIVE_STORE counts only without --data-dir.
func importTarget(cmd *cobra.Command, dataDir, store string) (storeURL, error) {
	storeGiven, dirGiven := cmd.Flag("store").Changed, cmd.Flag("data-dir").Changed
	switch {
	case storeGiven && dirGiven:
		return storeURL{}, errors.New("import restores into one store: give --data-dir DIR or --store URL, not both")
	case dirGiven && dataDir == "":
		return storeURL{}, errors.New("--data-dir is empty")
	case dirGiven:
		return storeURL{}, nil
	case store == "":
		return storeURL{}, errors.New("give the store to restore into: --data-dir DIR (the embedded store) or --store URL")
	}
	return parseStoreURL(store)
}

// importFile verifies the archive at path, then restores its events into
// the event store of dataDir, which must be absent or empty, and returns
// how many. It builds the store in a temporary directory beside events/
// and renames it into place only once every append succeeded and the
// store verifies, so that a failed import leaves no half-restored store.
func importFile(ctx context.Context, path, dataDir string) (n int, err error) {
	f, r, err := openArchive(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
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

// openArchive opens the archive at path and verifies it whole, and returns
// the file and a reader of its events from the first.
func openArchive(path string) (*os.File, archive.Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("import: %w", err)
	}
	r, format, err := archive.NewReader(f)
	if err == nil {
		if _, verr := archive.Verify(r, format); verr != nil {
			f.Close()
			return nil, nil, fmt.Errorf("import: %s refused, it fails verification: %w", path, verr)
		}
		r, err = rewind(f)
	}
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("import %s: %w", path, err)
	}
	return f, r, nil
}

// rewind returns a reader of the archive f from its first event.
func rewind(f *os.File) (archive.Reader, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	r, _, err := archive.NewReader(f)
	return r, err
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
