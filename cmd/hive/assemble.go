package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/definition"
	"hive/actors/reactions"
	"hive/actors/swarm"
	"hive/actors/timers"
	"hive/actors/token"
	"hive/actors/workflow"
	"hive/events"
	"hive/events/pebblestore"
	"hive/events/relay"
	"hive/http/api"
	"hive/http/live"
	"hive/projections"
)

// settings are what assemble needs from the flags.
type settings struct {
	dataDir string
	// store is the event store --store names: the embedded one in
	// dataDir by default.
	store            storeURL
	heartbeatTimeout time.Duration
	// timerInterval is how soon an entity is woken again while a deadline
	// stays set after a wake-up (0: the timers package's default).
	timerInterval time.Duration
	// taskTimeout bounds an attempt of a task without a timeout of its own
	// (0: no bound).
	taskTimeout time.Duration
	// auth configures tokens: rate limits, and whether /metrics needs one.
	auth api.AuthConfig
	// acceptLogLoss starts on a damaged event log instead of refusing to
	// (see pebblestore.Config.AcceptLogLoss and readModelEvidence).
	acceptLogLoss bool
	// minFreeBytes is the space the event store leaves free on its disk
	// (0: its default; negative: no check).
	minFreeBytes int64
}

// hive is one assembled Hive server: its store, runtime, read side,
// background workers and HTTP handler.
type hive struct {
	handler http.Handler
	workers []func(context.Context) error
	closers []func() error
}

// close releases what assemble opened, newest first.
func (h *hive) close() error {
	var errs []error
	for i := len(h.closers) - 1; i >= 0; i-- {
		errs = append(errs, h.closers[i]())
	}
	return errors.Join(errs...)
}

// kinds are the kinds of entity Hive hosts: how to create each (a swarm
// deciding with sc), how to read its deadlines, and how to wake it when one
// passes.
func kinds(sc swarm.Config) ([]actors.Kind, []timers.Kind) {
	return []actors.Kind{
			{Name: agent.Kind, New: func() actors.Entity { return &agent.State{} }, Commands: agent.Commands()},
			{Name: swarm.Kind, New: func() actors.Entity { return swarm.New(sc) }, Commands: swarm.Commands()},
			{Name: workflow.Kind, New: func() actors.Entity { return &workflow.State{} }, Commands: workflow.Commands()},
			{Name: definition.Kind, New: func() actors.Entity { return &definition.State{} }, Commands: definition.Commands()},
			{Name: token.Kind, New: func() actors.Entity { return &token.State{} }, Commands: token.Commands()},
		}, []timers.Kind{
			{Name: agent.Kind, Deadlines: agent.Deadlines, Wake: func(now time.Time) actors.Body { return agent.CheckLiveness{Now: now} }},
			{Name: swarm.Kind, Deadlines: swarm.Deadlines, Wake: func(now time.Time) actors.Body { return swarm.Tick{Now: now} }},
			{Name: workflow.Kind, Deadlines: workflow.Deadlines, Wake: func(now time.Time) actors.Body { return workflow.Tick{Now: now} }},
		}
}

// readModels are the read models the API serves, all of them built by the
// projection runner and saved in the data dir.
type readModels struct {
	agents      *projections.Agents
	directory   *projections.Directory
	assignments *projections.Assignments
	tokens      *projections.Tokens
	swarms      *projections.Swarms
	runs        *projections.Runs
	queue       *projections.Queue
	throughput  *projections.Throughput
	feed        *projections.Feed
	principals  *projections.Principals
	tasks       *projections.TaskIndex
}

func newReadModels() *readModels {
	return &readModels{
		agents: projections.NewAgents(), directory: projections.NewDirectory(),
		assignments: projections.NewAssignments(), tokens: projections.NewTokens(),
		swarms: projections.NewSwarms(), runs: projections.NewRuns(), queue: projections.NewQueue(),
		throughput: projections.NewThroughput(), feed: projections.NewFeed(), principals: projections.NewPrincipals(),
		tasks: projections.NewTaskIndex(),
	}
}

// all lists the read models for the runner.
func (rm *readModels) all() []projections.Projection {
	return []projections.Projection{rm.agents, rm.directory, rm.assignments, rm.tokens,
		rm.swarms, rm.runs, rm.queue, rm.throughput, rm.feed, rm.principals, rm.tasks}
}

// views are the read models of the API's views.
func (rm *readModels) views() api.Views {
	return api.Views{Swarms: rm.swarms, Runs: rm.runs, Queue: rm.queue, Throughput: rm.throughput, Feed: rm.feed, Principals: rm.principals}
}

// assemble wires Hive together on the event store s names, keeping the
// read models' saved states and the first admin token in s.dataDir. When
// ctx ends, long polls and streams end at once, so that the shutdown that
// follows does not wait for them. On error, whatever it opened is closed.
func assemble(ctx context.Context, s settings, logger *slog.Logger) (_ *hive, err error) {
	h := &hive{}
	defer func() {
		if err != nil {
			err = errors.Join(err, h.close())
		}
	}()
	reg, err := newRegistry()
	if err != nil {
		return nil, err
	}
	if err := makeDataDir(s.dataDir, logger); err != nil {
		return nil, err
	}
	// The read models are restored first: their positions are evidence
	// of how far the log went, which the store checks before it opens.
	rm := newReadModels()
	statesDir := filepath.Join(s.dataDir, "projections")
	states, err := projections.OpenDir(statesDir)
	if err != nil {
		return nil, err
	}
	saved := projections.Restore(states, logger.With("component", "projections"), rm.all()...)
	raw, err := openEventStore(ctx, s, saved, statesDir, logger.With("component", "store"))
	if err != nil {
		return nil, err
	}
	h.closers = append(h.closers, raw.Close)
	store, err := instrument(raw, reg)
	if err != nil {
		return nil, err
	}

	entityKinds, timerKinds := kinds(swarm.Config{TaskTimeout: s.taskTimeout})
	deadlines := timers.NewIndex(timerKinds...)
	bus := newBus(logger, h)
	tail, head, err := logTail(ctx, store, logger)
	if err != nil {
		return nil, err
	}
	runner, err := projections.NewRunner(store, logger.With("component", "projections"), reg, append(rm.all(), deadlines)...)
	if err != nil {
		return nil, err
	}
	runner.With(projections.Options{Tail: tail, Changes: bus, ChangesTopic: changesTopic, States: states})
	system, err := actors.New(actors.Config{IdleTimeout: 10 * time.Minute}, store, entityKinds, logger.With("component", "actors"), reg)
	if err != nil {
		return nil, err
	}
	h.closers = append(h.closers, func() error { system.Shutdown(); return nil })
	if err := bootstrapAdmin(ctx, store, system, s.dataDir, logger); err != nil {
		return nil, err
	}
	watcher, err := timers.NewWatcher(timers.Config{Interval: s.timerInterval}, deadlines, system, logger.With("component", "timers"))
	if err != nil {
		return nil, err
	}
	router, err := reactions.New(reactions.Config{Tail: tail}, store, system, reactions.Rules, logger.With("component", "reactions"), reg)
	if err != nil {
		return nil, err
	}
	publish, err := relayWorker(tail, head, store, bus, reg, logger)
	if err != nil {
		return nil, err
	}
	hub, err := live.New(live.Config{Subscriber: bus, Topic: changesTopic, Logger: logger.With("component", "live"), Registerer: reg})
	if err != nil {
		return nil, err
	}

	gin.SetMode(gin.ReleaseMode)
	h.handler, err = api.New(api.Config{HeartbeatTimeout: s.heartbeatTimeout, Auth: s.auth}, api.Deps{
		Commands: system, ReadSide: runner, Reactions: router, Agents: rm.agents, Tasks: rm.tasks, Directory: rm.directory, Log: store, Records: store, Assignments: rm.assignments, Gatherer: reg, Logger: logger.With("component", "api"),
		Tokens: rm.tokens, Views: rm.views(), Live: hub, Stopping: ctx.Done(),
	})
	if err != nil {
		return nil, err
	}
	h.workers = []func(context.Context) error{func(ctx context.Context) error { return tail.Run(ctx, head) },
		runner.Run, watcher.Run, router.Run, publish, hub.Run}
	return h, nil
}

func newRegistry() (*prometheus.Registry, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("register Go metrics: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("register process metrics: %w", err)
	}
	return reg, nil
}

// openEventStore opens the event store s names: the embedded one in the
// data dir, checked against the evidence of the read models saved in
// statesDir (see readModelEvidence), or the one --store names, checked
// against them too (see readModelsBeyond).
func openEventStore(ctx context.Context, s settings, saved []projections.Saved, statesDir string, logger *slog.Logger) (*openedStore, error) {
	if s.store.backend != embedded {
		store, err := openStore(ctx, s.store, logger)
		if err != nil {
			return nil, err
		}
		head, err := store.Head(ctx)
		if err != nil {
			err = s.store.hide(fmt.Errorf("--store %s: read its head: %w", s.store, err))
		} else {
			err = readModelsBeyond(saved, head, statesDir, s.store)
		}
		if err != nil {
			return nil, errors.Join(err, store.Close())
		}
		return store, nil
	}
	raw, err := pebblestore.Open(pebblestore.Config{Dir: filepath.Join(s.dataDir, "events"), Logger: logger,
		Evidence: readModelEvidence(saved, statesDir), AcceptLogLoss: s.acceptLogLoss, MinFreeBytes: s.minFreeBytes})
	if err != nil {
		return nil, fmt.Errorf("open event store: %w", explainLogDamage(err))
	}
	return &openedStore{Store: raw, commits: func() uint64 { return raw.Stats().Commits }}, nil
}

// instrument wraps the store with metrics, its commits counted when it
// counts them.
func instrument(raw *openedStore, reg prometheus.Registerer) (events.Store, error) {
	store, err := events.WithMetrics(raw.Store, reg)
	if err != nil {
		return nil, err
	}
	if raw.commits == nil {
		return store, nil
	}
	if err := reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "hive_store_commits_total",
		Help: "Transactions of the event store that appended events (the embedded store: group commits, each one pebble batch and one fsync; PostgreSQL: group commits, each one transaction); appends per commit show how well concurrent appends share them.",
	}, func() float64 { return float64(raw.commits()) })); err != nil {
		return nil, fmt.Errorf("register store commit metric: %w", err)
	}
	return store, nil
}

// changesTopic is the bus topic carrying read-model changes from the
// projections to live clients.
const changesTopic = "hive.changes"

// newBus returns the in-process Watermill bus carrying committed events to
// the projections and read-model changes to live clients.
func newBus(logger *slog.Logger, h *hive) *gochannel.GoChannel {
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024, BlockPublishUntilSubscriberAck: true},
		// Watermill logs every message it routes at Info: that is Debug here.
		watermill.NewSlogLoggerWithLevelMapping(logger.With("component", "bus"), map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}))
	h.closers = append(h.closers, bus.Close) // idempotent
	return bus
}

// logTail returns the process's one reader of the log, which hands every
// event committed after head, the store's head at start, to the read
// models, the reactions router and the relay.
func logTail(ctx context.Context, store events.Store, logger *slog.Logger) (*events.Tail, uint64, error) {
	head, err := store.Head(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("read event store head: %w", err)
	}
	tail, err := events.NewTail(store, events.TailConfig{Logger: logger.With("component", "tail")})
	return tail, head, err
}

// relayWorker returns the worker publishing committed events on bus, as a
// follower of tail, from head.
func relayWorker(tail *events.Tail, head uint64, store events.Store, bus *gochannel.GoChannel, reg prometheus.Registerer, logger *slog.Logger) (func(context.Context) error, error) {
	publisher, err := relay.New(relay.Config{Tail: tail}, store, bus, logger.With("component", "relay"), reg)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) error {
		// Closing the bus unblocks a publish waiting for a consumer's ack.
		defer context.AfterFunc(ctx, func() {
			if err := bus.Close(); err != nil {
				logger.Warn("close bus", "err", err)
			}
		})()
		return publisher.Run(ctx, head)
	}, nil
}
