package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"hive/actors"
	"hive/events"
)

// errStop ends a scan early; scan does not report it.
var errStop = errors.New("stop the scan")

// scanPage is how many events a scan reads at a time.
const scanPage = 4096

// eventFilter selects events of the log; its zero value selects all.
type eventFilter struct {
	stream      string // --stream, or --entity KIND/ID
	entity      string
	typ         string
	correlation string
	principal   string
	since       string
	until       string
	from, to    uint64
	// parsed by prepare
	sinceT, untilT time.Time
}

func (f *eventFilter) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.stream, "stream", "", "only events of this stream, e.g. agent-<id>, swarm-<id>, workflow-<id>")
	fl.StringVar(&f.entity, "entity", "", "only events of this entity: KIND/ID (agent/<id>, swarm/<id>, workflow/<id>...) or a stream name")
	fl.StringVar(&f.typ, "type", "", "only events of this type: the full name (hive.v1.TaskAssigned) or its last part (TaskAssigned)")
	fl.StringVar(&f.correlation, "correlation-id", "", "only events of this correlation: a command and its reactions")
	fl.StringVar(&f.principal, "principal", "", "only events caused by this principal, e.g. token:<id>")
	fl.StringVar(&f.since, "since", "", "only events recorded at or after this time (RFC 3339) or this long ago (e.g. 1h)")
	fl.StringVar(&f.until, "until", "", "only events recorded before this time (RFC 3339) or this long ago")
	fl.Uint64Var(&f.from, "from", 0, "only events at this global position or after")
	fl.Uint64Var(&f.to, "to", 0, "only events at this global position or before (default: the end of the log)")
}

// prepare checks and parses the flags, now being the time they are
// relative to.
func (f *eventFilter) prepare(now time.Time) error {
	if f.entity != "" {
		if f.stream != "" {
			return errors.New("give --entity or --stream, not both")
		}
		f.stream = f.entity
		if kind, id, ok := strings.Cut(f.entity, "/"); ok {
			f.stream = actors.Ref{Kind: kind, ID: id}.Stream()
		}
	}
	var err error
	if f.sinceT, err = parseWhen(f.since, now); err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	if f.untilT, err = parseWhen(f.until, now); err != nil {
		return fmt.Errorf("--until: %w", err)
	}
	if f.to != 0 && f.to < f.from {
		return fmt.Errorf("--to %d is before --from %d", f.to, f.from)
	}
	return nil
}

// parseWhen reads an RFC 3339 time or a duration before now; "" is the
// zero time.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a duration", s)
	}
	return t, nil
}

// match reports whether e passes every filter but the position range.
func (f *eventFilter) match(e *events.Envelope) bool {
	switch {
	case f.stream != "" && e.Stream != f.stream,
		f.typ != "" && e.Type != f.typ && !strings.HasSuffix(e.Type, "."+f.typ),
		f.correlation != "" && e.CorrelationID != f.correlation,
		f.principal != "" && e.Principal != f.principal,
		!f.sinceT.IsZero() && e.RecordedAt.Before(f.sinceT),
		!f.untilT.IsZero() && !e.RecordedAt.Before(f.untilT):
		return false
	}
	return true
}

// scan calls fn with every event the filter selects, in position order,
// from position after+1, until fn returns errStop or the range ends. It
// reads the stream alone when the filter names one.
func (f *eventFilter) scan(ctx context.Context, src logSource, after uint64, fn func(*events.Envelope) error) error {
	after = max(after, f.from-min(f.from, 1))
	if f.stream != "" {
		return f.scanStream(ctx, src, after, fn)
	}
	for {
		page, err := src.ReadAll(ctx, after, scanPage)
		if err != nil || len(page) == 0 {
			return err
		}
		for i := range page {
			e := &page[i]
			if f.to != 0 && e.Position > f.to {
				return nil
			}
			if err := f.visit(e, fn); err != nil {
				return stopped(err)
			}
		}
		after = page[len(page)-1].Position
	}
}

func (f *eventFilter) scanStream(ctx context.Context, src logSource, after uint64, fn func(*events.Envelope) error) error {
	for version := uint64(1); ; {
		page, err := src.ReadStream(ctx, f.stream, version, events.Forward, scanPage)
		if errors.Is(err, events.ErrStreamNotFound) {
			return nil
		}
		if err != nil || len(page) == 0 {
			return err
		}
		for i := range page {
			e := &page[i]
			if f.to != 0 && e.Position > f.to {
				return nil
			}
			if e.Position <= after {
				continue
			}
			if err := f.visit(e, fn); err != nil {
				return stopped(err)
			}
		}
		version = page[len(page)-1].Version + 1
	}
}

func (f *eventFilter) visit(e *events.Envelope, fn func(*events.Envelope) error) error {
	if !f.match(e) {
		return nil
	}
	return fn(e)
}

// stopped hides errStop.
func stopped(err error) error {
	if errors.Is(err, errStop) {
		return nil
	}
	return err
}
