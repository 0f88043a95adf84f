package esdbstore

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"
	"google.golang.org/grpc/status"

	"hive/events"
)

// Store is an events.Store on EventStoreDB (or KurrentDB). It is safe for
// concurrent use.
type Store struct {
	cfg  Config
	log  *slog.Logger
	conn *conn
	// where names the server for messages: its host:port, or its gossip
	// seeds.
	where string

	closed atomic.Bool
	done   chan struct{} // closed by Close

	mu   sync.Mutex
	subs map[*subscription]struct{} // open subscriptions, closed by Close
}

var (
	_ events.Store         = (*Store)(nil)
	_ events.SnapshotStore = (*Store)(nil)
)

// minVersion is the oldest EventStoreDB the store works with: older servers
// return no $all positions in stream reads.
var minVersion = kurrentdb.ServerVersion{Major: 22, Minor: 6}

// Open connects to the EventStoreDB server (or cluster) the URL names and
// checks, within cfg.ConnectTimeout, that it answers, accepts the
// credentials, lets the user read $all and is recent enough. Each failure
// is one error saying which: a malformed URL; events.ErrUnavailable for a
// server that cannot be reached or does not answer in time;
// ErrUnauthenticated; ErrAccessDenied.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	ccfg, err := cfg.clientConfig()
	if err != nil {
		return nil, err
	}
	ccfg.Logger = clientLogger(cfg.Logger)
	c, err := newConn(ccfg)
	if err != nil {
		return nil, err
	}
	s := &Store{cfg: cfg, log: cfg.Logger, conn: c, where: target(ccfg), done: make(chan struct{}), subs: map[*subscription]struct{}{}}
	if err := s.probe(ctx, ccfg); err != nil {
		c.close()
		return nil, err
	}
	if ccfg.DisableTLS && ccfg.Username != "" {
		s.log.Warn("eventstoredb credentials not sent: the connection is not encrypted (tls=false)", "server", s.where)
	}
	return s, nil
}

// probe checks that the server answers, with the first call Hive needs:
// reading $all.
func (s *Store) probe(ctx context.Context, ccfg *kurrentdb.Configuration) error {
	pctx, cancel := context.WithTimeout(ctx, s.cfg.ConnectTimeout)
	defer cancel()
	client, err := s.conn.get()
	if err != nil {
		return err
	}
	_, err = s.readAllRaw(pctx, client, kurrentdb.ReadAllOptions{Direction: kurrentdb.Backwards, From: kurrentdb.End{}}, 1)
	switch {
	case err == nil:
		return s.checkVersion(client)
	case ctx.Err() != nil:
		return fmt.Errorf("esdbstore: connect to %s: %w", s.where, ctx.Err())
	case ended(pctx) != nil:
		return fmt.Errorf("%w: EventStoreDB at %s did not answer within %v", events.ErrUnavailable, s.where, s.cfg.ConnectTimeout)
	}
	switch code(err) {
	case kurrentdb.ErrorCodeUnauthenticated:
		return fmt.Errorf("esdbstore: %w: EventStoreDB at %s refused user %q", ErrUnauthenticated, s.where, ccfg.Username)
	case kurrentdb.ErrorCodeAccessDenied:
		return fmt.Errorf("esdbstore: %w: EventStoreDB at %s does not let user %q read $all, which Hive needs", ErrAccessDenied, s.where, ccfg.Username)
	case kurrentdb.ErrorUnavailable, kurrentdb.ErrorCodeConnectionClosed, kurrentdb.ErrorCodeDeadlineExceeded:
		return fmt.Errorf("%w: cannot reach EventStoreDB at %s: %s", events.ErrUnavailable, s.where, detail(err))
	}
	return fmt.Errorf("esdbstore: EventStoreDB at %s: %w", s.where, err)
}

func (s *Store) checkVersion(client *kurrentdb.Client) error {
	v, err := client.GetServerVersion()
	if err != nil {
		return fmt.Errorf("esdbstore: EventStoreDB at %s: server version: %w", s.where, err)
	}
	if v.IsBelow(minVersion.Major, minVersion.Minor, minVersion.Patch) {
		return fmt.Errorf("esdbstore: EventStoreDB at %s is version %d.%d.%d; Hive needs %d.%d or newer",
			s.where, v.Major, v.Minor, v.Patch, minVersion.Major, minVersion.Minor)
	}
	return nil
}

// detail returns the innermost gRPC status message of err, which says why
// a call failed without the client's layers of context, or err's message.
func detail(err error) string {
	var st interface{ GRPCStatus() *status.Status }
	if errors.As(err, &st) {
		return st.GRPCStatus().Message()
	}
	return err.Error()
}

// target names the server a configuration connects to.
func target(c *kurrentdb.Configuration) string {
	if len(c.GossipSeeds) == 0 {
		return c.Address
	}
	seeds := make([]string, len(c.GossipSeeds))
	for i, e := range c.GossipSeeds {
		seeds[i] = e.String()
	}
	return strings.Join(seeds, ",")
}

// begin checks what every method checks first: that the store is open and
// ctx has not ended.
func (s *Store) begin(ctx context.Context) error {
	if s.closed.Load() {
		return events.ErrClosed
	}
	return ctx.Err()
}

// call runs op with the current client and translates its error; a client
// that gave up is replaced for the next call.
func (s *Store) call(ctx context.Context, what string, op func(*kurrentdb.Client) error) error {
	client, err := s.conn.get()
	if err != nil {
		return err
	}
	if err := op(client); err != nil {
		s.conn.failed(client, err)
		return s.translate(ctx, what, err)
	}
	return nil
}

// Head implements events.Store: the position of the newest event in one of
// Hive's streams, found by reading $all backwards past other streams'.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	const page = 64
	var from kurrentdb.AllPosition = kurrentdb.End{}
	for {
		var recs []*kurrentdb.RecordedEvent
		err := s.call(ctx, "read the head of $all", func(c *kurrentdb.Client) (err error) {
			recs, err = s.readAllRaw(ctx, c, kurrentdb.ReadAllOptions{Direction: kurrentdb.Backwards, From: from}, page)
			return err
		})
		if err != nil {
			return 0, err
		}
		for _, r := range recs {
			if stream, ours := s.hiveName(r.StreamID); ours {
				e, err := fromRecorded(r, stream)
				return e.Position, err
			}
		}
		if len(recs) < page {
			return 0, nil
		}
		from = recs[len(recs)-1].Position
	}
}

// Close implements events.Store: it ends every subscription and closes the
// connection.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	close(s.done)
	s.mu.Lock()
	subs := s.subs
	s.subs = nil
	s.mu.Unlock()
	for sub := range subs {
		sub.stop()
	}
	s.conn.close()
	return nil
}
