package pgstore

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconnection delays of the listener, doubling from the first to the
// last.
const (
	listenRetryMin = 50 * time.Millisecond
	listenRetryMax = 2 * time.Second
)

// start starts the writer, the listener (on a connection of its own,
// made from conn) and the poller.
func (s *Store) start(conn *pgx.ConnConfig) {
	s.running.Add(3)
	go s.runWriter()
	go s.runListener(conn)
	go s.runPoller()
}

// runListener keeps a connection listening on notifyChannel and wakes the
// subscriptions at every notification, which every appending transaction
// of every process sends as it commits. After losing the connection it
// reconnects, listens again and wakes the subscriptions once, for the
// commits it may have missed meanwhile.
func (s *Store) runListener(cfg *pgx.ConnConfig) {
	defer s.running.Done()
	delay, failing := listenRetryMin, false
	for {
		listened, err := s.listen(cfg, failing)
		if s.bg.Err() != nil {
			return
		}
		if listened {
			delay = listenRetryMin
		}
		if !failing || listened {
			s.log.Warn("event store notifications interrupted; reconnecting", "store", s.where, "err", err)
		}
		failing = true
		select {
		case <-time.After(delay):
		case <-s.bg.Done():
			return
		}
		delay = min(2*delay, listenRetryMax)
	}
}

// listen connects, listens and waits for notifications until the
// connection fails or the store closes. listened reports whether it got
// as far as listening.
func (s *Store) listen(cfg *pgx.ConnConfig, recovering bool) (listened bool, err error) {
	conn, err := pgx.ConnectConfig(s.bg, cfg)
	if err != nil {
		return false, err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(s.bg), time.Second)
		defer cancel()
		_ = conn.Close(ctx)
	}()
	if _, err := conn.Exec(s.bg, "LISTEN "+notifyChannel); err != nil {
		return false, err
	}
	if recovering {
		s.log.Info("event store notifications resumed", "store", s.where)
	}
	s.commits.Broadcast() // for the commits missed while not listening
	for {
		if _, err := conn.WaitForNotification(s.bg); err != nil {
			return true, err
		}
		s.commits.Broadcast()
	}
}

// runPoller wakes the subscriptions every PollInterval if the log's head
// moved: the fallback for a notification missed while the listener was
// reconnecting.
func (s *Store) runPoller() {
	defer s.running.Done()
	t := time.NewTicker(s.cfg.PollInterval)
	defer t.Stop()
	last := int64(-1)
	for {
		select {
		case <-t.C:
		case <-s.bg.Done():
			return
		}
		ctx, cancel := context.WithTimeout(s.bg, s.cfg.PollInterval)
		var head int64
		err := s.pool.QueryRow(ctx, "SELECT position FROM hive.head").Scan(&head)
		cancel()
		if err == nil && head != last {
			last = head
			s.commits.Broadcast()
		}
	}
}
