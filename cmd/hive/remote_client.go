package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/spf13/cobra"

	"hive/http/client"
)

// callTimeout bounds each request of the client commands.
const callTimeout = 30 * time.Second

// client returns a client of the Hive at --server with the token to send.
func (o *remoteOptions) client() (*client.Client, error) {
	bearer, err := o.bearer()
	if err != nil {
		return nil, err
	}
	return client.New(client.Config{Server: o.server, Token: bearer, HTTPClient: &http.Client{Timeout: callTimeout}})
}

// show writes raw, the server's JSON, with -o json, else calls table.
func (o *remoteOptions) show(cmd *cobra.Command, raw json.RawMessage, table func() error) error {
	if o.output == "json" {
		return writeJSON(cmd.OutOrStdout(), raw)
	}
	return table()
}

// commandFlags are the flags of commands that change things.
type commandFlags struct {
	idempotencyKey string
	correlationID  string
}

func (f *commandFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.idempotencyKey, "idempotency-key", "",
		"sent as Idempotency-Key: the same command sent again with it changes nothing (default: a new key per invocation, which makes the CLI's own retries safe)")
	cmd.Flags().StringVar(&f.correlationID, "correlation-id", "", "sent as Hive-Correlation-Id: the command's events and their reactions carry it (see hive events list --correlation-id)")
}

// options are the call options of one invocation.
func (f *commandFlags) options() []client.CallOption {
	key := f.idempotencyKey
	if key == "" {
		key = "cli-" + uuid.NewString()
	}
	opts := []client.CallOption{client.WithIdempotencyKey(key)}
	if f.correlationID != "" {
		opts = append(opts, client.WithCorrelationID(f.correlationID))
	}
	return opts
}

// pageFlags are the flags of lists.
type pageFlags struct {
	limit  int
	cursor string
	all    bool
}

func (f *pageFlags) register(cmd *cobra.Command) {
	cmd.Flags().IntVar(&f.limit, "limit", 0, "items per page, 1 to 1000 (default: the server's, 100)")
	cmd.Flags().StringVar(&f.cursor, "cursor", "", "start at this next_cursor of a previous page")
	cmd.Flags().BoolVar(&f.all, "all", false, "follow next_cursor to the end of the list")
}

// collect reads one page of a list, or with --all every page from the
// cursor on, and returns the items and the cursor of what follows ("" at
// the end).
func collect[T any](ctx context.Context, f pageFlags, read func(client.PageRequest) (client.Page[T], error)) ([]T, string, error) {
	req := client.PageRequest{Limit: f.limit, Cursor: f.cursor}
	var items []T
	for {
		page, err := read(req)
		if err != nil {
			return nil, "", err
		}
		items = append(items, page.Items...)
		// The event log gives a cursor also at its end: the same one again.
		if !f.all || page.NextCursor == "" || page.NextCursor == req.Cursor || ctx.Err() != nil {
			return items, page.NextCursor, ctx.Err()
		}
		req.Cursor = page.NextCursor
	}
}

// noteMore tells people in a table that the list goes on.
func noteMore(cmd *cobra.Command, o *remoteOptions, next string) {
	if next != "" && o.output == "table" {
		fmt.Fprintf(cmd.ErrOrStderr(), "more: --cursor %s (or --all)\n", next)
	}
}

// jsonArg reads a flag's JSON value: the value itself, "@FILE" for a
// file's contents or "-" for standard input.
func jsonArg(cmd *cobra.Command, flag, value string) (json.RawMessage, error) {
	raw := []byte(value)
	var err error
	switch {
	case value == "-":
		raw, err = io.ReadAll(cmd.InOrStdin())
	case strings.HasPrefix(value, "@"):
		raw, err = os.ReadFile(value[1:])
	}
	if err != nil {
		return nil, fmt.Errorf("--%s: %w", flag, err)
	}
	if !json.Valid(raw) {
		return nil, fmt.Errorf("--%s: not JSON: %.80q", flag, raw)
	}
	return raw, nil
}

// apiError shows a problem of the API to people, on one line: the status,
// what went wrong, and each invalid field.
type apiError struct{ p *client.ProblemError }

func (e *apiError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %s", e.p.Status, http.StatusText(e.p.Status))
	if e.p.Detail != "" {
		b.WriteString(": " + e.p.Detail)
	}
	for i, f := range e.p.Errors {
		sep := "; "
		if i == 0 {
			sep = " — "
		}
		fmt.Fprintf(&b, "%s%s %s", sep, f.Field, f.Reason)
	}
	return b.String()
}

func (e *apiError) Unwrap() error { return e.p }

// explainProblems makes every command under cmd report an API problem as an
// *apiError.
func explainProblems(cmd *cobra.Command) {
	if run := cmd.RunE; run != nil {
		cmd.RunE = func(c *cobra.Command, args []string) error {
			err := run(c, args)
			if p, ok := errors.AsType[*client.ProblemError](err); ok {
				return &apiError{p: p}
			}
			return err
		}
	}
	for _, sub := range cmd.Commands() {
		explainProblems(sub)
	}
}
