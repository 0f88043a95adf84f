package replay

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/proto"

	"hive/events"
)

// decoded is a page of a stream, its payloads decoded.
type decoded struct {
	envs []events.Envelope
	msgs []proto.Message
}

// decoder decodes an event's payload.
type decoder func(*events.Envelope) (proto.Message, error)

// fold calls fn with every event of stream from version from on and its
// payload as decode decodes it, in order, until fn reports false or fails.
// A goroutine that fold owns reads and decodes the pages ahead while fn
// runs on the caller's, so that a long stream takes about as long as the
// slower of the two rather than their sum; it has stopped when fold
// returns.
func (r *Replayer) fold(ctx context.Context, stream string, from uint64, decode decoder, fn func(*events.Envelope, proto.Message) (bool, error)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pages := make(chan decoded, 2)
	done := make(chan error, 1)
	go func() { done <- r.readAhead(ctx, stream, from, decode, pages) }()
	var err error
	more := true
	for p := range pages {
		for i := 0; more && err == nil && i < len(p.envs); i++ {
			more, err = fn(&p.envs[i], p.msgs[i])
		}
		if !more || err != nil {
			cancel()
		}
	}
	readErr := <-done
	if err != nil || !more {
		return err
	}
	return readErr
}

// readAhead sends the pages of stream from version from to pages, decoded,
// and closes it.
func (r *Replayer) readAhead(ctx context.Context, stream string, from uint64, decode decoder, pages chan<- decoded) error {
	defer close(pages)
	for {
		envs, err := r.src.ReadStream(ctx, stream, from, events.Forward, page)
		if errors.Is(err, events.ErrStreamNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		p := decoded{envs: envs, msgs: make([]proto.Message, len(envs))}
		for i := range envs {
			if p.msgs[i], err = decode(&envs[i]); err != nil {
				return fmt.Errorf("replay: %w", err)
			}
		}
		select {
		case pages <- p:
		case <-ctx.Done():
			return ctx.Err()
		}
		if len(envs) < page {
			return nil
		}
		from = envs[len(envs)-1].Version + 1
	}
}
