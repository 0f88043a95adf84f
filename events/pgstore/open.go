package pgstore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"hive/events"
)

// Open connects to the database at cfg.URL, creates or migrates Hive's
// schema in it (see the package documentation) and starts the store's
// writer, its LISTEN connection and its poller. Close releases it.
//
// It fails at once with one error naming the cause: an invalid Config or
// a URL that cannot be parsed (events.ErrInvalidArgument); a server that
// cannot be reached within the connect timeout (events.ErrUnavailable);
// refused credentials or a missing database (the server's own error); a
// schema migrated by a newer Hive (ErrSchemaTooNew). The error names the
// server, database and user, never the password.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("pgstore: %w: invalid config: %w", events.ErrInvalidArgument, err)
	}
	pcfg, err := poolConfig(&cfg)
	if err != nil {
		return nil, err
	}
	where := describe(pcfg.ConnConfig.Config)
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("pgstore: %s: %w", where, err)
	}
	found, err := migrate(ctx, pool)
	if err != nil {
		pool.Close()
		if errors.Is(err, ErrSchemaTooNew) {
			return nil, fmt.Errorf("pgstore: %s: %w", where, err)
		}
		return nil, translate(ctx, "open "+where, err)
	}
	s := newStore(ctx, cfg, pool, where)
	s.start(pcfg.ConnConfig.Copy())
	s.log.Info("event store opened", "store", where, "schema_found", found, "schema", len(migrations))
	return s, nil
}

// poolConfig parses cfg.URL and applies cfg's limits to it.
func poolConfig(cfg *Config) (*pgxpool.Config, error) {
	if scheme, _, isURL := strings.Cut(cfg.URL, "://"); isURL && scheme != "postgres" && scheme != "postgresql" {
		return nil, fmt.Errorf("pgstore: %w: store URL: scheme %q is neither postgres:// nor postgresql://", events.ErrInvalidArgument, scheme)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's message shows the URL with its password masked.
		return nil, fmt.Errorf("pgstore: %w: store URL: %w", events.ErrInvalidArgument, err)
	}
	if pcfg.ConnConfig.ConnectTimeout == 0 {
		pcfg.ConnConfig.ConnectTimeout = cfg.ConnectTimeout
	}
	pcfg.MaxConns = cfg.MaxConns
	pcfg.MinConns = 0
	return pcfg, nil
}

// describe names a connection's server, database and user.
func describe(c pgconn.Config) string {
	return fmt.Sprintf("%s/%s as %s", net.JoinHostPort(c.Host, strconv.Itoa(int(c.Port))), c.Database, c.User)
}

func newStore(ctx context.Context, cfg Config, pool *pgxpool.Pool, where string) *Store {
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	return &Store{
		cfg:            cfg,
		pool:           pool,
		log:            cfg.Logger,
		where:          where,
		commits:        events.NewSignal(),
		reqs:           make(chan *request),
		done:           make(chan struct{}),
		writeCtx:       context.WithoutCancel(ctx),
		bg:             bg,
		stopBackground: stop,
	}
}
