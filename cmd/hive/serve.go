package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"hive/actors/swarm"
	"hive/events/pebblestore"
	"hive/http/api"
)

// serveOptions are the flags of `hive serve`.
type serveOptions struct {
	addr             string
	dataDir          string
	store            string
	shutdownTimeout  time.Duration
	heartbeatTimeout time.Duration
	taskTimeout      time.Duration
	rateLimit        float64
	rateBurst        int
	metricsAuth      bool
	failureLimit     float64
	failureBurst     int
	failureClients   int
	acceptLogLoss    bool
	minFreeMiB       int64
	log              logOptions
	// pprof is where the runtime's profiles are served ("": nowhere).
	pprof            string
	pprofAllowRemote bool
}

func newServeCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Hive server on the embedded event store or the one --store names",
		Long: `Run the Hive server on the event store --store names (PostgreSQL or
EventStoreDB), or without it on the embedded store kept in --data-dir: the
HTTP API; the entity actors (agents, swarms, workflow runs and definitions);
the reactions that carry decisions between them; the timers that wake them
when a recorded deadline passes; the read models, saved with the position
they reached in <data-dir>/projections so that a restart resumes them; their
live changes (GET /v1/live); and the dashboard at / (sign in with a token;
the first start writes an admin token to <data-dir>/admin.token). Stop it
with SIGINT or SIGTERM; every command that was answered with a 2xx is
durable, and a run in progress goes on after a restart, also after a crash.

The data dir and what is in it are its owner's alone (0700 and 0600). A
data dir that another process holds is refused, naming that process. An
event log that lost acknowledged events (a damaged, truncated or deleted
write-ahead log), as its head mark or the saved read models show, is
refused: hive serve exits with status 1, saying which evidence shows how
many events are missing and what to do; --accept-log-loss starts on what
is left instead.

When the disk is nearly full (--min-free-mib), commands are answered 507
and change nothing while reads go on, and they work again once space is
freed; a start on a disk without room for the store fails at once and says
how much it needs.

With --store (env HIVE_STORE) the events are in that store and the data
dir keeps the rest: the saved read models and the first admin token. A
store URL that is malformed, names an unknown scheme, a server that cannot
be reached (within the connect timeout: 5 s for PostgreSQL unless the URL
sets connect_timeout, 10 s for EventStoreDB) or refuses the credentials
makes hive serve exit at once with status 1 and one line saying which;
read models saved beyond the end of the store (a data dir of another
store, or a store restored from an older backup) too, saying what to do.
The URL's password is never shown. --accept-log-loss and --min-free-mib
are about the embedded store only.

` + pprofHelp,
		Example: `  hive serve --addr 127.0.0.1:8080 --data-dir ./data
  hive serve --store 'postgres://hive:secret@db:5432/hive' --data-dir ./data`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.taskTimeout <= 0 || o.taskTimeout > swarm.MaxTimeout {
				return fmt.Errorf("--task-timeout must be positive and at most %s", swarm.MaxTimeout)
			}
			if o.pprof != "" {
				if err := checkPprofAddr(o.pprof, o.pprofAllowRemote); err != nil {
					return err
				}
			}
			logger, err := o.log.logger()
			if err != nil {
				return err
			}
			return serve(cmd.Context(), o, logger)
		},
	}
	cmd.Flags().StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on (env HIVE_ADDR)")
	cmd.Flags().StringVar(&o.dataDir, "data-dir", "./data", "directory of the embedded event store (without --store), the saved read models and the first admin token (env HIVE_DATA_DIR)")
	envFlags(cmd.Flags(), map[string]string{"addr": "HIVE_ADDR", "data-dir": "HIVE_DATA_DIR"})
	registerStore(cmd.Flags(), &o.store, "without it, the embedded store in --data-dir")
	cmd.Flags().DurationVar(&o.shutdownTimeout, "shutdown-timeout", 15*time.Second, "how long to let commands in flight finish on shutdown; long polls and streams end at once")
	cmd.Flags().DurationVar(&o.heartbeatTimeout, "heartbeat-timeout", 30*time.Second, "how long an agent may stay silent before it is lost")
	cmd.Flags().DurationVar(&o.taskTimeout, "task-timeout", time.Hour, "how long one attempt of a task (or workflow step) without a timeout of its own may stay assigned without a result; then it fails and is retried if attempts remain (at most 168h)")
	cmd.Flags().Float64Var(&o.rateLimit, "rate-limit", 10000, "requests per second each token may make on average (0: no limit); more are answered 429 with Retry-After")
	cmd.Flags().IntVar(&o.rateBurst, "rate-burst", 20000, "requests a token may make at once, above --rate-limit")
	cmd.Flags().BoolVar(&o.metricsAuth, "metrics-auth", false, "make /metrics need a token (of any role)")
	cmd.Flags().Int64Var(&o.minFreeMiB, "min-free-mib", pebblestore.DefaultMinFreeBytes>>20, "MiB the event store leaves free on its disk: while writing would leave less, commands are answered 507 and change nothing, and they work again once space is freed (0: no check; keep it above 64, what the store flushes at once)")
	cmd.Flags().Float64Var(&o.failureLimit, "auth-failure-limit", 10, "requests failing authentication (401) each client address may make per second on average (0: no limit); beyond that and --auth-failure-burst, the address's requests are answered 429 with Retry-After before any token is looked at")
	cmd.Flags().IntVar(&o.failureBurst, "auth-failure-burst", 100, "requests failing authentication a client address may make at once, above --auth-failure-limit")
	cmd.Flags().IntVar(&o.failureClients, "auth-failure-clients", api.DefaultFailureClients, "client addresses the failure limit tracks at once (about 100 bytes each); when full, the others share one limit")
	cmd.Flags().BoolVar(&o.acceptLogLoss, "accept-log-loss", false, "start on a damaged event log, without the acknowledged events it lost, instead of refusing to (see Failure behaviour in the README)")
	cmd.Flags().StringVar(&o.pprof, "pprof", "", "serve the Go runtime's profiles under /debug/pprof/ at this address, apart from the API, e.g. 127.0.0.1:6060 (default: not served; see above)")
	cmd.Flags().BoolVar(&o.pprofAllowRemote, "pprof-allow-remote", false, "let --pprof listen on an address that is not loopback")
	o.log.register(cmd)
	return cmd
}

// serve runs Hive until ctx ends.
func serve(ctx context.Context, o serveOptions, logger *slog.Logger) (err error) {
	if o.minFreeMiB < 0 {
		return fmt.Errorf("--min-free-mib %d: must not be negative", o.minFreeMiB)
	}
	store, err := parseStoreURL(o.store)
	if err != nil {
		return err
	}
	if o.acceptLogLoss && store.backend != embedded {
		return fmt.Errorf("--accept-log-loss is about the embedded store's log, not %s (--store)", store.backend)
	}
	h, err := assembleUnlessStopped(ctx, settings{dataDir: o.dataDir, store: store, heartbeatTimeout: o.heartbeatTimeout, taskTimeout: o.taskTimeout,
		acceptLogLoss: o.acceptLogLoss, minFreeBytes: minFreeBytes(o.minFreeMiB),
		auth: api.AuthConfig{RateLimit: o.rateLimit, RateBurst: o.rateBurst, Metrics: o.metricsAuth,
			FailureLimit: o.failureLimit, FailureBurst: o.failureBurst, FailureClients: o.failureClients}}, logger)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, h.close()) }()
	return run(ctx, o, store, logger, h.handler, h.workers)
}

// minFreeBytes is the event store's MinFreeBytes for --min-free-mib.
func minFreeBytes(mib int64) int64 {
	if mib == 0 {
		return -1 // no check
	}
	return mib << 20
}

// assembleUnlessStopped assembles Hive, unless ctx ends first: a signal
// stops a start that hangs (an event store that does not open) at once.
// What assemble opens after that is closed as soon as it returns; the
// process exits meanwhile.
func assembleUnlessStopped(ctx context.Context, s settings, logger *slog.Logger) (*hive, error) {
	type assembled struct {
		h   *hive
		err error
	}
	done := make(chan assembled, 1)
	go func() {
		h, err := assemble(ctx, s, logger)
		done <- assembled{h, err}
	}()
	select {
	case a := <-done:
		return a.h, a.err
	case <-ctx.Done():
		go func() {
			if a := <-done; a.err == nil {
				if err := a.h.close(); err != nil {
					logger.Warn("close what a stopped start opened", "err", err)
				}
			}
		}()
		return nil, fmt.Errorf("stopped before the server started: %w", ctx.Err())
	}
}

// run serves HTTP and runs the background workers (projections, timers, relay)
// until ctx ends or the HTTP server fails, then shuts everything down. A
// failed worker keeps the server up: the logs and metrics say why, and a
// failed projection also makes /readyz fail.
func run(ctx context.Context, o serveOptions, store storeURL, logger *slog.Logger, handler http.Handler, workers []func(context.Context) error) error {
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	if o.pprof != "" {
		stopPprof, err := servePprof(o.pprof, logger)
		if err != nil {
			_ = ln.Close()
			return err
		}
		defer stopPprof()
	}
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make([]error, len(workers)+2)
	for i, work := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = work(ctx); errs[i] != nil {
				logger.Error("background worker stopped", "err", errs[i])
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer cancel()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			errs[len(workers)] = fmt.Errorf("http server: %w", err)
		}
	}()
	logger.Info("hive serving", "addr", ln.Addr().String(), "data_dir", o.dataDir, "store", store.String())
	<-ctx.Done()
	logger.Info("hive shutting down")
	shutdownCtx, stop := context.WithTimeout(context.WithoutCancel(ctx), o.shutdownTimeout)
	defer stop()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		errs[len(workers)+1] = fmt.Errorf("http shutdown: %w", err)
	}
	wg.Wait()
	return errors.Join(errs...)
}
