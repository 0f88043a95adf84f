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
// Two goroutines that fold owns work ahead of fn, which runs on the
// caller's: one reads the pages, the other decodes them, so that a long
// stream takes about as long as the slowest of the three stages rather
// than their sum. Both have stopped when fold returns. If ctx ends first,
// fold fails with its error: a fold cut short is never an answer.
func (r *Replayer) fold(ctx context.Context, stream string, from uint64, decode decoder, fn func(*events.Envelope, proto.Message) (bool, error)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raw := make(chan []events.Envelope, 2)
	pages := make(chan decoded, 2)
	readDone, decodeDone := make(chan error, 1), make(chan error, 1)
	go func() { readDone <- r.readAhead(ctx, stream, from, raw) }()
	go func() { decodeDone <- decodeAhead(ctx, raw, decode, pages) }()
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
	stageErr := errors.Join(<-readDone, <-decodeDone)
	if err != nil || !more {
		return err
	}
	return stageErr
}

// readAhead sends the pages of stream from version from to pages and
// closes it.
func (r *Replayer) readAhead(ctx context.Context, stream string, from uint64, pages chan<- []events.Envelope) error {
	defer close(pages)
	for {
		envs, err := r.src.ReadStream(ctx, stream, from, events.Forward, page)
		if errors.Is(err, events.ErrStreamNotFound) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", stream, err)
		}
		select {
		case pages <- envs:
		case <-ctx.Done():
			return ctx.Err()
		}
		if len(envs) < page {
			return nil
		}
		from = envs[len(envs)-1].Version + 1
	}
}

// decodeAhead decodes the pages from raw and sends them to pages, which it
// closes. It drains raw, so that the reader never blocks once it stops.
func decodeAhead(ctx context.Context, raw <-chan []events.Envelope, decode decoder, pages chan<- decoded) (err error) {
	defer close(pages)
	for envs := range raw {
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			continue
		}
		p := decoded{envs: envs, msgs: make([]proto.Message, len(envs))}
		for i := range envs {
			if p.msgs[i], err = decode(&envs[i]); err != nil {
				err = fmt.Errorf("replay: %w", err)
				break
			}
		}
		if err == nil {
			select {
			case pages <- p:
			case <-ctx.Done():
				err = ctx.Err()
			}
		}
	}
	return err
}
