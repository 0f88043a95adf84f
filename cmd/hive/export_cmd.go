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
)

func newExportCommand() *cobra.Command {
	var o remoteOptions
	var format, out string
	cmd := &cobra.Command{
		Use:   "export [--format ndjson|binary] [--out FILE]",
		Short: "Write the whole event log to a file",
		Long: `Write every event of the log, in position order, to --out (default:
standard output): as NDJSON (one event a line, its payload as protobuf
JSON and as its exact bytes in payload_base64) or in the compact binary
form (length-prefixed hive.v1.StoredEvent records). Either keeps
everything the hash chains cover: hive import restores identical events
and hashes. Offline (--data-dir DIR and no --server, read-only), from
the PostgreSQL or EventStoreDB store --store URL names (env HIVE_STORE),
or online through the API, with an admin token: the server gives other tokens no
bytes of events holding secrets (token creations), so their export is
refused. An archive holds those secrets' hashes: keep it as private as
the data dir.`,
		Example: `  hive export --data-dir ./data --out hive.ndjson
  hive export --format binary --server http://hive:8080 --out hive.log
  hive export --store postgres://hive@db/hive --out hive.ndjson`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return withLog(cmd, &o, func(ctx context.Context, src logSource) error {
				w, finish, err := createOut(cmd, out)
				if err != nil {
					return err
				}
				n, err := exportLog(ctx, src, w, archive.Format(format))
				err = finish(err)
				if err == nil && out != "-" {
					fmt.Fprintf(cmd.ErrOrStderr(), "exported %d events to %s\n", n, out)
				}
				return err
			})
		},
	}
	o.registerLog(cmd)
	cmd.Flags().StringVar(&format, "format", string(archive.NDJSON), "ndjson or binary")
	cmd.Flags().StringVar(&out, "out", "-", "the file to write, - for standard output")
	return cmd
}

// createOut opens what to write: standard output for "-", else a
// temporary file beside path (which must not exist). finish takes the
// export's error: on success it renames the file to path, otherwise (or
// if the file cannot be completed) it removes it, so that a failed or
// interrupted export leaves no partial archive under path.
func createOut(cmd *cobra.Command, path string) (io.Writer, func(error) error, error) {
	if path == "-" {
		return cmd.OutOrStdout(), func(err error) error { return err }, nil
	}
	if _, err := os.Lstat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("export: %s: %w", path, errors.Join(err, fs.ErrExist))
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, nil, fmt.Errorf("export: %w", err)
	}
	finish := func(err error) error {
		if err == nil {
			err = f.Chmod(0o644)
		}
		if err == nil {
			err = f.Sync()
		}
		err = errors.Join(err, f.Close())
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			return errors.Join(err, os.Remove(f.Name()))
		}
		return nil
	}
	return f, finish, nil
}

// exportLog writes every event of src to w in format f and returns how
// many.
func exportLog(ctx context.Context, src logSource, w io.Writer, f archive.Format) (uint64, error) {
	aw, err := archive.NewWriter(w, f)
	if err != nil {
		return 0, err
	}
	if n, ok, err := exportStored(ctx, src, aw); ok {
		return n, err
	}
	var after, n uint64
	for {
		page, err := src.ReadAll(ctx, after, scanPage)
		if err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		if len(page) == 0 {
			return n, aw.Close()
		}
		if err := refuseRedacted(src, page); err != nil {
			return n, err
		}
		if err := writePage(aw, page); err != nil {
			return n, fmt.Errorf("export: %w", err)
		}
		n += uint64(len(page))
		after = page[len(page)-1].Position
	}
}

// refuseRedacted fails at the first event of page that src served
// without its exact bytes: an archive holds every event exactly, as hive
// import restores it and verifies its hash.
func refuseRedacted(src logSource, page []events.Envelope) error {
	rd, ok := src.(redactions)
	if !ok {
		return nil
	}
	for i := range page {
		if e := &page[i]; rd.Redacted(e.Position) {
			return fmt.Errorf("export: the event at position %d (%s) holds secrets, whose bytes the server gives only to an admin token: export with an admin token, or offline (--data-dir)", e.Position, e.Type)
		}
	}
	return nil
}

// storedScanner is a log that hands out its events' stored bytes: the
// offline store.
type storedScanner interface {
	ScanStored(ctx context.Context, after uint64, fn func(pos uint64, raw []byte) error) error
}

// exportStored copies the stored bytes of src's events to aw, when both
// can (an offline binary export), and reports whether it did.
func exportStored(ctx context.Context, src logSource, aw archive.Writer) (n uint64, ok bool, err error) {
	scanner, ok1 := src.(storedScanner)
	sw, ok2 := aw.(archive.StoredWriter)
	if !ok1 || !ok2 {
		return 0, false, nil
	}
	err = scanner.ScanStored(ctx, 0, func(_ uint64, raw []byte) error {
		n++
		return sw.WriteStored(raw)
	})
	if err != nil {
		return n, true, fmt.Errorf("export: %w", err)
	}
	return n, true, aw.Close()
}

// writePage writes page to aw, at once if aw can.
func writePage(aw archive.Writer, page []events.Envelope) error {
	if bw, ok := aw.(archive.BatchWriter); ok {
		return bw.WriteBatch(page)
	}
	for i := range page {
		if err := aw.Write(&page[i]); err != nil {
			return err
		}
	}
	return nil
}
