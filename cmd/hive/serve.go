package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/timers"
	"hive/events"
	"hive/events/pebblestore"
	"hive/events/relay"
	"hive/http/api"
	"hive/projections"
)

// serveOptions are the flags of `hive serve`.
type serveOptions struct {
	addr             string
	dataDir          string
	shutdownTimeout  time.Duration
	heartbeatTimeout time.Duration
	log              logOptions
}

func newServeCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the Hive server on the embedded event store",
		Long: `Run the Hive server: the HTTP API, the entity actors and the read models,
on the embedded event store kept in --data-dir. Stop it with SIGINT or SIGTERM;
every command that was answered with a 2xx is durable.`,
		Example: "  hive serve --addr 127.0.0.1:8080 --data-dir ./data",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			logger, err := o.log.logger()
			if err != nil {
				return err
			}
			return serve(cmd.Context(), o, logger)
		},
	}
	cmd.Flags().StringVar(&o.addr, "addr", envOr("HIVE_ADDR", "127.0.0.1:8080"), "address to listen on (env HIVE_ADDR)")
	cmd.Flags().StringVar(&o.dataDir, "data-dir", envOr("HIVE_DATA_DIR", "./data"), "directory of the embedded event store (env HIVE_DATA_DIR)")
	cmd.Flags().DurationVar(&o.shutdownTimeout, "shutdown-timeout", 15*time.Second, "how long to let requests in flight finish on shutdown")
	cmd.Flags().DurationVar(&o.heartbeatTimeout, "heartbeat-timeout", 30*time.Second, "how long an agent may stay silent before it is lost")
	o.log.register(cmd)
	return cmd
}

// serve wires Hive together and runs it until ctx ends.
func serve(ctx context.Context, o serveOptions, logger *slog.Logger) (err error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return fmt.Errorf("register Go metrics: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return fmt.Errorf("register process metrics: %w", err)
	}

	raw, err := pebblestore.Open(pebblestore.Config{Dir: filepath.Join(o.dataDir, "events"), Logger: logger.With("component", "store")})
	if err != nil {
		return fmt.Errorf("open event store: %w", err)
	}
	defer func() { err = errors.Join(err, raw.Close()) }()
	store, err := events.WithMetrics(raw, reg)
	if err != nil {
		return err
	}
	if err := reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "hive_store_commits_total",
		Help: "Group commits of the embedded store, each one pebble batch and one fsync; appends per commit show how well concurrent appends share fsyncs.",
	}, func() float64 { return float64(raw.Stats().Commits) })); err != nil {
		return fmt.Errorf("register store commit metric: %w", err)
	}

	agents := projections.NewAgents()
	deadlines := timers.NewIndex(timers.Kind{Name: agent.Kind, Deadlines: agent.Deadlines, Wake: func(now time.Time) actors.Body { return agent.CheckLiveness{Now: now} }})
	runner, err := projections.NewRunner(store, logger.With("component", "projections"), reg, agents, deadlines)
	if err != nil {
		return err
	}
	kinds := []actors.Kind{{Name: agent.Kind, New: func() actors.Entity { return &agent.State{} }}}
	system, err := actors.New(actors.Config{IdleTimeout: 10 * time.Minute}, store, kinds, logger.With("component", "actors"), reg)
	if err != nil {
		return err
	}
	defer system.Shutdown()

	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024, BlockPublishUntilSubscriberAck: true},
		// Watermill logs every message it routes at Info: that is Debug here.
		watermill.NewSlogLoggerWithLevelMapping(logger.With("component", "bus"), map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}))
	defer func() { err = errors.Join(err, bus.Close()) }() // idempotent
	publisher, err := relay.New(relay.Config{}, store, bus, logger.With("component", "relay"), reg)
	if err != nil {
		return err
	}
	head, err := store.Head(ctx)
	if err != nil {
		return fmt.Errorf("read event store head: %w", err)
	}

	watcher, err := timers.NewWatcher(timers.Config{}, deadlines, system, logger.With("component", "timers"))
	if err != nil {
		return err
	}

	gin.SetMode(gin.ReleaseMode)
	handler, err := api.New(api.Config{HeartbeatTimeout: o.heartbeatTimeout}, api.Deps{
		Commands: system, ReadSide: runner, Agents: agents, Gatherer: reg, Logger: logger.With("component", "api"),
	})
	if err != nil {
		return err
	}
	return run(ctx, o, logger, handler, []func(context.Context) error{
		runner.Run,
		watcher.Run,
		func(ctx context.Context) error {
			// Closing the bus unblocks a publish waiting for a consumer's ack.
			defer context.AfterFunc(ctx, func() {
				if err := bus.Close(); err != nil {
					logger.Warn("close bus", "err", err)
				}
			})()
			return publisher.Run(ctx, head)
		},
	})
}

// run serves HTTP and runs the background workers (projections, timers, relay)
// until ctx ends or the HTTP server fails, then shuts everything down. A
// failed worker keeps the server up: the logs and metrics say why, and a
// failed projection also makes /readyz fail.
func run(ctx context.Context, o serveOptions, logger *slog.Logger, handler http.Handler, workers []func(context.Context) error) error {
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
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
	logger.Info("hive serving", "addr", ln.Addr().String(), "data_dir", o.dataDir)
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
