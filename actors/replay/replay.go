// Package replay answers questions about the past from the event log alone:
// an entity's state at a position or time (time travel) and what changed
// between two points, what a swarm would have assigned under other weights
// (what-if), an entity's decisions with who caused them and why (audit),
// and the causal tree of one command.
//
// Everything here folds recorded events with the entities' own Apply
// functions, the same ones their actors recover with, and decides with the
// swarm's own scoring: no second model of the domain to drift from the
// first. It only reads; payloads of old schema versions are upcast on read
// by events.Decode.
package replay

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"hive/actors"
	"hive/events"
)

// Source is the part of the event log replay reads. A Source that is also
// an events.SnapshotStore lets time travel start from a snapshot.
type Source interface {
	ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error)
	ReadAll(ctx context.Context, after uint64, limit int) ([]events.Envelope, error)
}

// ErrUnknownKind: an entity names a kind replay was not given.
var ErrUnknownKind = errors.New("unknown entity kind")

// page is how many events one read fetches.
const page = 1000

// Replayer replays entities of the kinds it was given from a Source.
type Replayer struct {
	src   Source
	kinds map[string]func() actors.Entity
}

// New returns a Replayer reading src, knowing the entities of kinds.
func New(src Source, kinds []actors.Kind) *Replayer {
	r := &Replayer{src: src, kinds: make(map[string]func() actors.Entity, len(kinds))}
	for _, k := range kinds {
		r.kinds[k.Name] = k.New
	}
	return r
}

// ParseEntity reads an entity as "kind/id" (swarm/<uuid>) or as its stream
// name ("swarm-<uuid>").
func ParseEntity(s string) (actors.Ref, error) {
	kind, id, ok := strings.Cut(s, "/")
	if !ok {
		kind, id, ok = strings.Cut(s, "-")
	}
	if !ok || kind == "" || id == "" {
		return actors.Ref{}, fmt.Errorf("%w: entity %q: want kind/id or a stream name kind-id", events.ErrInvalidArgument, s)
	}
	return actors.Ref{Kind: kind, ID: id}, nil
}

// eachAll calls fn with every event of the log, in position order.
func eachAll(ctx context.Context, src Source, fn func(*events.Envelope) error) error {
	var after uint64
	for {
		envs, err := src.ReadAll(ctx, after, page)
		if err != nil {
			return fmt.Errorf("read the log after %d: %w", after, err)
		}
		for i := range envs {
			if err := fn(&envs[i]); err != nil {
				return err
			}
		}
		if len(envs) < page {
			return nil
		}
		after = envs[len(envs)-1].Position
	}
}
