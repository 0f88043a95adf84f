package main

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"hive/events"
	"hive/events/pebblestore"
)

func newVerifyCommand() *cobra.Command {
	var o remoteOptions
	var archivePath string
	cmd := &cobra.Command{
		Use:   "verify",
		Short: "Check the event log's hash chains, versions, positions and indexes",
		Long: `Check the whole event log: every stream's hash chain and dense versions,
and strictly increasing global positions. Offline (--data-dir DIR and no
--server, read-only; refused while a server holds the data dir) it also
checks the store's stream and id indexes against the log. Online it reads
the log through the API with the events' exact payload bytes; a token
other than an admin's is not given those of events holding secrets (token
creations), whose own hashes are then taken as given, and says so. With
--store URL (env HIVE_STORE) it reads the PostgreSQL or EventStoreDB store
that URL names directly, every event with its bytes, and checks the same
to the store's head.

On a tampered or truncated log it names the first bad stream and version
and exits with status 1. Offline it also checks the log against the
evidence of how far it went, kept outside it: the store's head mark and
the positions of the read models saved in <data-dir>/projections. A log
that lost acknowledged events (a damaged, truncated or deleted write-ahead
log) is reported, with how many are missing, and exits with status 1.

With --archive FILE it checks a file written by hive export instead, as
hive import does before restoring it: hash chains, versions, positions,
distinct ids, the trailer, and on every NDJSON line that the readable
payload is what payload_base64 decodes to; it names the first bad line
(NDJSON) or record (binary) and its event.`,
		Example: `  hive verify --data-dir ./data
  hive verify --server http://hive:8080 --token <viewer token>
  hive verify --store postgres://hive@db/hive
  hive verify --archive hive.ndjson`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if archivePath != "" {
				return verifyArchive(archivePath, cmd.OutOrStdout())
			}
			return withLog(cmd, &o, func(ctx context.Context, src logSource) error {
				if o.offline(cmd) {
					return verifyDataDir(ctx, src, o.dataDir, cmd.OutOrStdout(), toolLogger(cmd.ErrOrStderr()))
				}
				return verifyLog(ctx, src, cmd.OutOrStdout())
			})
		},
	}
	o.registerLog(cmd)
	cmd.Flags().StringVar(&archivePath, "archive", "", "an archive file written by hive export to verify, instead of a data dir or a server")
	cmd.MarkFlagsMutuallyExclusive("archive", "server")
	cmd.MarkFlagsMutuallyExclusive("archive", "data-dir")
	return cmd
}

// storeVerifier is a log that verifies itself, indexes included: the
// offline store.
type storeVerifier interface {
	Verify(ctx context.Context) (pebblestore.Checked, error)
}

// verifyLog verifies src and writes the outcome to w; it fails with the
// first problem.
func verifyLog(ctx context.Context, src logSource, w io.Writer) error {
	if sv, ok := src.(storeVerifier); ok {
		c, err := sv.Verify(ctx)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		_, err = fmt.Fprintf(w, "ok: %d events in %d streams: hash chains, versions, positions and indexes intact\n", c.Events, c.Streams)
		return err
	}
	v := events.NewVerifier()
	rd, _ := src.(redactions)
	var after, redacted uint64
	for reread := false; ; {
		page, err := src.ReadAll(ctx, after, scanPage)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		if len(page) == 0 {
			ended, err := readToHead(ctx, src, after, reread)
			if err != nil {
				return err
			}
			if ended {
				break
			}
			reread = true
			continue
		}
		for i := range page {
			e := &page[i]
			var err error
			if rd != nil && rd.Redacted(e.Position) {
				_, err = v.Sequence(e) // its bytes were withheld: the next link checks the hash it carries
				redacted++
			} else {
				err = v.Add(e)
			}
			if err != nil {
				return fmt.Errorf("verify: %w", err)
			}
		}
		after, reread = page[len(page)-1].Position, false
	}
	_, err := fmt.Fprintf(w, "ok: %d events in %d streams up to the head, position %d: hash chains, versions and positions intact\n", v.Events(), v.Streams(), after)
	if err == nil && redacted > 0 {
		_, err = fmt.Fprintf(w, "%d events holding secrets were served without their payload bytes to this token: their own hashes were taken as given (the links after them checked); verify with an admin token or offline to check them too\n", redacted)
	}
	return err
}

// readToHead is what verifyLog does at an empty page after position last:
// it reports whether last is the log's head, as src tells it, so that the
// end of the log is where verification stopped. A head beyond last gets
// one more read (events may have been appended meanwhile); if the read
// before was that already, the log served is missing its end.
func readToHead(ctx context.Context, src logSource, last uint64, reread bool) (bool, error) {
	head, err := src.Head(ctx)
	switch {
	case err != nil:
		return false, fmt.Errorf("verify: the log's head: %w", err)
	case head == last:
		return true, nil
	case head > last && !reread:
		return false, nil
	}
	return false, fmt.Errorf("verify: the log read ends at position %d, but the server's head is position %d: events are missing from its end", last, head)
}

// registerLog registers the flags of a command that reads the log offline
// or online, without the output format.
func (o *remoteOptions) registerLog(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.server, "server", "http://127.0.0.1:8080", "Hive's URL (env HIVE_SERVER), to read the log online")
	f.StringVar(&o.token, "token", "", "API token (env HIVE_TOKEN), any role; without one, the admin token in <data-dir>/admin.token")
	f.StringVar(&o.dataDir, "data-dir", "./data", "data dir to read offline when given without --server (env HIVE_DATA_DIR)")
	envFlags(f, map[string]string{"server": "HIVE_SERVER", "token": "HIVE_TOKEN", "data-dir": "HIVE_DATA_DIR"})
	o.registerStore(f)
}
