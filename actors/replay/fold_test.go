package replay_test

import (
	"context"
	"errors"
	"testing"

	"hive/actors/replay"
	"hive/events"
)

// cancelling is a source whose first stream read ends the caller's context.
type cancelling struct {
	replay.Source
	cancel context.CancelFunc
}

func (c cancelling) ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error) {
	envs, err := c.Source.ReadStream(ctx, stream, from, dir, limit)
	c.cancel()
	return envs, err
}

func TestAReplayCutShortIsAnError(t *testing.T) {
	store, h := history(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := replay.New(cancelling{Source: store, cancel: cancel}, kinds)
	if st, err := r.At(ctx, swarmRef(h), replay.Target{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("At with its context ended midway = %+v, %v; want context.Canceled, not a partial state", st, err)
	}
}
