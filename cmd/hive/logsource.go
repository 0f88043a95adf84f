package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	"github.com/google/uuid"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"hive/events"
	"hive/events/pebblestore"
	"hive/http/client"
)

// logSource is the event log as the audit tools read it: offline from a
// data dir opened read-only, or online through a server's API with viewer
// rights. Either way the envelopes carry their exact payload bytes and
// hashes, so that hash chains verify. A logSource is used by one goroutine.
type logSource interface {
	// ReadAll returns up to limit events after position after, in
	// position order; none at the end of the log.
	ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error)
	// ReadStream returns up to limit events of stream from version from in
	// direction dir; events.ErrStreamNotFound if it has none.
	ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error)
	// Head returns the position of the log's newest event.
	Head(ctx context.Context) (uint64, error)
	// Close releases the data dir or the connection.
	Close() error
}

// maxOnlinePage is the longest page the API serves.
const maxOnlinePage = 1000

// logOrigin is where a log tool reads the log.
type logOrigin int

const (
	// fromServer reads it through the API of the server at --server.
	fromServer logOrigin = iota
	// fromDataDir reads the embedded store of --data-dir, read-only.
	fromDataDir
	// fromStore reads the store --store names directly.
	fromStore
)

// origin returns where the command reads the log: --store given reads the
// store, and may not be given with --server or --data-dir; otherwise
// --server reads the server, --data-dir the data dir, and HIVE_STORE (a
// --store from the environment) the store; with none of them, the server.
func (o *remoteOptions) origin(cmd *cobra.Command) (logOrigin, error) {
	given := func(name string) bool {
		f := cmd.Flag(name)
		return f != nil && f.Changed
	}
	switch {
	case given("store") && (given("server") || given("data-dir")):
		return 0, errors.New("--store reads the store directly: give it without --server or --data-dir")
	case given("store"):
		return fromStore, nil
	case given("server"):
		return fromServer, nil
	case given("data-dir"):
		return fromDataDir, nil
	case o.store != "":
		return fromStore, nil
	}
	return fromServer, nil
}

// offline reports whether the command reads a data dir (see origin).
func (o *remoteOptions) offline(cmd *cobra.Command) bool {
	from, err := o.origin(cmd)
	return err == nil && from == fromDataDir
}

// logSource opens the log the flags name (see origin): the store --store
// names; the data dir's event store, read-only (refused while a server
// holds it); or the server at --server, with the token.
func (o *remoteOptions) logSource(cmd *cobra.Command) (logSource, error) {
	from, err := o.origin(cmd)
	if err != nil {
		return nil, err
	}
	switch from {
	case fromStore:
		u, err := parseStoreURL(o.store)
		if err != nil {
			return nil, err
		}
		store, err := openStore(cmd.Context(), u, toolLogger(cmd.ErrOrStderr()))
		if err != nil {
			return nil, err
		}
		return store.Store, nil // with its capabilities: snapshots for replay
	case fromDataDir:
		return openOfflineLog(o.dataDir, toolLogger(cmd.ErrOrStderr()))
	}
	api, err := o.client()
	if err != nil {
		return nil, err
	}
	return &onlineLog{api: api, redacted: map[uint64]bool{}}, nil
}

// registerStore registers --store on fs for a log tool.
func (o *remoteOptions) registerStore(fs *pflag.FlagSet) {
	registerStore(fs, &o.store, "read the log from it directly, instead of through --server or from --data-dir")
}

// openOfflineLog opens the event store of the data dir read-only, the
// store logging to logger: pebble's own complaints (such as the file it
// found corrupt), and a log that lost acknowledged events.
func openOfflineLog(dataDir string, logger *slog.Logger) (*pebblestore.Store, error) {
	store, err := pebblestore.OpenReadOnly(pebblestore.Config{Dir: filepath.Join(dataDir, "events"), Logger: logger})
	if errors.Is(err, pebblestore.ErrInUse) {
		return nil, fmt.Errorf("%w: read it through the server instead (--server URL)", err)
	}
	return store, explainLogDamage(err)
}

// toolLogger is the logger of an offline tool: warnings and errors, as
// text, to w (standard error).
func toolLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// onlineLog reads the log through the API, asking for the payload bytes.
// The server gives a token other than an admin's no bytes of an event that
// holds secrets (see api.EventJSON): such an event's envelope carries its
// redacted payload, encoded again from its JSON, so that the tools show
// it; Redacted reports it, so that they neither verify its hash nor
// archive it.
type onlineLog struct {
	api *client.Client
	// redacted are the positions of the events read without their bytes.
	redacted map[uint64]bool
}

// redactions is a log that may serve events without their exact bytes.
type redactions interface {
	// Redacted reports whether the event at pos was served without its
	// exact payload bytes, its secrets left out.
	Redacted(pos uint64) bool
}

// Redacted implements redactions.
func (l *onlineLog) Redacted(pos uint64) bool { return l.redacted[pos] }

func (l *onlineLog) ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error) {
	page, err := l.api.ReadLog(ctx, client.LogRead{After: after, Limit: min(limit, maxOnlinePage), Raw: true})
	if err != nil {
		return nil, err
	}
	return l.toEnvelopes(page.Events)
}

func (l *onlineLog) ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error) {
	r := client.StreamRead{From: from, Backward: dir == events.Backward, Limit: min(limit, maxOnlinePage), Raw: true}
	if r.Backward && from == events.End {
		r.From = 0
	}
	evs, err := l.api.ReadStream(ctx, stream, r)
	var p *client.ProblemError
	if errors.As(err, &p) && p.Status == 404 {
		return nil, fmt.Errorf("%w: %q", events.ErrStreamNotFound, stream)
	}
	if err != nil {
		return nil, err
	}
	return l.toEnvelopes(evs)
}

func (l *onlineLog) Head(ctx context.Context) (uint64, error) {
	page, err := l.api.ReadLog(ctx, client.LogRead{Limit: 1})
	return page.Head, err
}

func (l *onlineLog) Close() error { return nil }

// toEnvelopes turns the API's events back into envelopes, noting those
// served redacted.
func (l *onlineLog) toEnvelopes(evs []client.Event) ([]events.Envelope, error) {
	out := make([]events.Envelope, len(evs))
	for i := range evs {
		e := &evs[i]
		if err := toEnvelope(e, &out[i]); err != nil {
			return nil, err
		}
		if len(e.Redacted) == 0 || e.PayloadBase64 != nil {
			continue
		}
		if err := redactedPayload(e, &out[i]); err != nil {
			return nil, err
		}
		l.redacted[e.Position] = true
	}
	return out, nil
}

// redactedPayload gives env, the envelope of an event served without its
// bytes, the payload of e's redacted JSON, at its type's current schema
// version (the JSON is upcast).
func redactedPayload(e *client.Event, env *events.Envelope) error {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(e.Type))
	if err != nil {
		return fmt.Errorf("event at position %d: %w: %s", e.Position, events.ErrUnknownType, e.Type)
	}
	msg := mt.New().Interface()
	if err := protojson.Unmarshal(e.Payload, msg); err != nil {
		return fmt.Errorf("event at position %d: its payload: %w", e.Position, err)
	}
	if env.Payload, err = proto.Marshal(msg); err != nil {
		return fmt.Errorf("event at position %d: %w", e.Position, err)
	}
	env.SchemaVersion = events.SchemaVersion(e.Type)
	return nil
}

func toEnvelope(e *client.Event, env *events.Envelope) error {
	id, err := uuid.Parse(e.ID)
	if err != nil {
		return fmt.Errorf("event at position %d: id %q: %w", e.Position, e.ID, err)
	}
	hash, err := hex.DecodeString(e.Hash)
	if err != nil || len(hash) != len(events.Hash{}) {
		return fmt.Errorf("event at position %d: hash %q is not a SHA-256 in hex", e.Position, e.Hash)
	}
	*env = events.Envelope{
		ID: id, Stream: e.Stream, Version: e.Version, Position: e.Position, Type: e.Type,
		RecordedAt: e.RecordedAt.UTC(), SchemaVersion: e.SchemaVersion, Payload: e.PayloadBase64,
		Metadata: events.Metadata{CorrelationID: e.CorrelationID, CausationID: e.CausationID, Principal: e.Principal},
		Hash:     events.Hash(hash),
	}
	return nil
}
