package pgstore

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"

	"hive/events"
)

// subscriptionPageSize is how many events a subscription reads at a time.
const subscriptionPageSize = 1024

// Store is the PostgreSQL events.Store. It is safe for concurrent use.
// Appends go through one writer goroutine, which commits them in groups;
// reads go straight to the database. See the package documentation.
type Store struct {
	cfg     Config
	pool    *pgxpool.Pool
	log     *slog.Logger
	where   string // the server and database, for messages
	commits *events.Signal
	reqs    chan *request // unbuffered: a request sent has been taken by the writer
	done    chan struct{} // closed by Close
	// writeCtx is Open's context without its cancellation: the context of
	// append transactions, which Close lets finish.
	writeCtx context.Context
	// bg is the listener's and the poller's context, which Close cancels
	// through stopBackground.
	bg             context.Context
	stopBackground context.CancelFunc
	running        sync.WaitGroup // the writer, the listener and the poller
	stats          counters
	// appending counts the Append calls past validation and not yet
	// returned; the writer lingers for those it has not seen yet.
	appending atomic.Int64

	// mu guards the use of pool against Close: methods hold it shared
	// while they use pool, Close takes it exclusively to close pool.
	mu     sync.RWMutex
	closed bool

	closeOnce sync.Once
}

var (
	_ events.Store         = (*Store)(nil)
	_ events.SnapshotStore = (*Store)(nil)
	_ events.Importer      = (*Store)(nil)
)

// Head implements events.Store.
func (s *Store) Head(ctx context.Context) (uint64, error) {
	if err := s.begin(ctx); err != nil {
		return 0, err
	}
	defer s.mu.RUnlock()
	var head int64
	if err := s.pool.QueryRow(ctx, "SELECT position FROM hive.head").Scan(&head); err != nil {
		return 0, translate(ctx, "read the head", err)
	}
	return uint64(head), nil
}

// SubscribeAll implements events.Store. The subscription reads committed
// pages with ReadAll and waits for the next commit, which this process's
// writer announces at once and every other process's through
// LISTEN/NOTIFY; see the package documentation.
func (s *Store) SubscribeAll(ctx context.Context, after uint64) (events.Subscription, error) {
	if err := s.begin(ctx); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	return events.NewSubscription(s, s.commits, s.done, after, subscriptionPageSize), nil
}

// begin fails with ctx's error or ErrClosed; otherwise it returns with
// s.mu held shared, which the caller releases.
func (s *Store) begin(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return events.ErrClosed
	}
	return nil
}

// Close stops taking appends (those not yet taken fail with
// events.ErrClosed), lets the writer finish the transaction under way,
// ends subscriptions and closes the connections. It is idempotent. After
// Close every method fails with events.ErrClosed.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		close(s.done)
		s.stopBackground()
		s.running.Wait()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.pool.Close()
		s.log.Info("event store closed", "store", s.where)
	})
	return nil
}
