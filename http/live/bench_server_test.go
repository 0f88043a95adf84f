package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"hive/actors"
	"hive/actors/token"
	"hive/events"
	"hive/events/pebblestore"
	"hive/events/relay"
	"hive/http/api"
	"hive/http/live"
	"hive/projections"
)

// benchServer is the read side of a Hive server, as cmd/hive assembles it,
// on a loopback port: the embedded store, the relay publishing committed
// events on the in-process bus, a projection runner with the tokens read
// model and one small live projection (runFeed), the live hub and the real
// API handler with its authentication.
type benchServer struct {
	addr   string
	store  events.Store
	viewer string // a viewer's bearer token
	reg    *prometheus.Registry
	feed   *runFeed
	stop   func()
}

func startBenchServer(b *testing.B) *benchServer {
	b.Helper()
	gin.SetMode(gin.ReleaseMode)
	logger := slog.New(slog.DiscardHandler)
	reg := prometheus.NewRegistry()
	store, err := pebblestore.Open(pebblestore.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	bus := gochannel.NewGoChannel(gochannel.Config{OutputChannelBuffer: 1024, BlockPublishUntilSubscriberAck: true}, nil)
	tail, err := events.NewTail(store, events.TailConfig{})
	if err != nil {
		b.Fatal(err)
	}
	publisher, err := relay.New(relay.Config{Tail: tail}, store, bus, logger, reg)
	if err != nil {
		b.Fatal(err)
	}
	tokens := projections.NewTokens()
	feed := &runFeed{}
	runner, err := projections.NewRunner(store, logger, reg, tokens, feed)
	if err != nil {
		b.Fatal(err)
	}
	runner.With(projections.Options{Tail: tail, Changes: bus, ChangesTopic: "hive.changes"})
	hub, err := live.New(live.Config{Subscriber: bus, Topic: "hive.changes", Registerer: reg, Logger: logger})
	if err != nil {
		b.Fatal(err)
	}
	system, err := actors.New(actors.Config{}, store, []actors.Kind{{Name: token.Kind, New: func() actors.Entity { return &token.State{} }}}, logger, reg)
	if err != nil {
		b.Fatal(err)
	}
	handler, err := api.New(api.Config{}, api.Deps{Commands: system, ReadSide: runner, Tokens: tokens, Gatherer: reg, Logger: logger, Live: hub})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	// The timeouts of hive serve: a stream must outlive WriteTimeout.
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 30 * time.Second, WriteTimeout: 30 * time.Second, IdleTimeout: 2 * time.Minute}
	head, err := store.Head(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, work := range []func(context.Context) error{runner.Run, hub.Run, func(ctx context.Context) error { return publisher.Run(ctx, head) },
		func(ctx context.Context) error { return tail.Run(ctx, head) }} {
		wg.Go(func() {
			if err := work(ctx); err != nil && ctx.Err() == nil {
				b.Errorf("worker: %v", err)
			}
		})
	}
	wg.Go(func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			b.Errorf("serve: %v", err)
		}
	})
	s := &benchServer{addr: ln.Addr().String(), store: store, reg: reg, feed: feed}
	s.viewer = mintViewer(b, ctx, system, runner)
	s.stop = func() {
		cancel() // the hub ends every stream
		shutdown, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		if err := srv.Shutdown(shutdown); err != nil {
			b.Errorf("shutdown: %v", err)
		}
		_ = bus.Close()
		wg.Wait()
		system.Shutdown()
		if err := store.Close(); err != nil {
			b.Errorf("close store: %v", err)
		}
	}
	return s
}

// mintViewer creates a viewer token and waits until the API knows it.
func mintViewer(b *testing.B, ctx context.Context, system *actors.System, runner *projections.Runner) string {
	b.Helper()
	m, err := token.Mint()
	if err != nil {
		b.Fatal(err)
	}
	res, err := system.Ask(ctx, actors.Ref{Kind: token.Kind, ID: m.ID}, actors.Command{ID: m.ID, Principal: "bench",
		Body: token.Create{TokenID: m.ID, Role: token.RoleViewer, SecretHash: m.Hash, At: time.Now()}})
	if err != nil {
		b.Fatal(err)
	}
	if err := runner.WaitFor(ctx, res.LastPosition); err != nil {
		b.Fatal(err)
	}
	return m.Bearer
}

// runFeed is a small live projection: every event of a stream named by a
// run id changes that run's row (topic workflows/<stream>), and every
// feedEvery-th event (none if 0) also adds a feed item. Each change's data is
// {"position": n}. It notes when it applied each event.
type runFeed struct {
	feedEvery  atomic.Uint64
	checkpoint atomic.Uint64
	pending    []applied
	// appliedAt maps positions to the time they were applied.
	appliedAt sync.Map
}

// applied is what runFeed keeps of an event until Changed.
type applied struct {
	position uint64
	stream   string
}

func (p *runFeed) Name() string       { return "bench-runs" }
func (p *runFeed) Checkpoint() uint64 { return p.checkpoint.Load() }

func (p *runFeed) Apply(c *events.Committed) error {
	env := &c.Envelope
	if env.Type == benchEventType {
		p.pending = append(p.pending, applied{env.Position, env.Stream})
		p.appliedAt.Store(env.Position, time.Now())
	}
	p.checkpoint.Store(env.Position)
	return nil
}

func (p *runFeed) Changed(dst []projections.Change) ([]projections.Change, error) {
	every := p.feedEvery.Load()
	for _, a := range p.pending {
		pos := strconv.FormatUint(a.position, 10)
		data := json.RawMessage(`{"position":` + pos + `}`)
		dst = append(dst, projections.Change{Topic: projections.RunTopic(a.stream), Position: a.position, Op: projections.OpUpsert, ID: a.stream, Data: data})
		if every != 0 && a.position%every == 0 {
			dst = append(dst, projections.Change{Topic: projections.TopicFeed, Position: a.position, Op: projections.OpUpsert, ID: pos, Data: data})
		}
	}
	p.pending = p.pending[:0]
	return dst, nil
}

// benchEventType is the type of the events the benchmark appends.
const benchEventType = "bench.RunProgressed"
