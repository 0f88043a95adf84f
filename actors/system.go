package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus"

	"hive/events"
)

var (
	// ErrUnknownKind: no kind of that name is hosted.
	ErrUnknownKind = errors.New("unknown entity kind")
	// ErrUnavailable: the entity did not answer in time, or the runtime is
	// shutting down. The command may or may not have taken effect.
	ErrUnavailable = errors.New("entity unavailable")
	// ErrEntityFailed: the entity failed while handling the command and is
	// being restarted from its stream. Nothing the command decided was
	// applied unless it had been appended.
	ErrEntityFailed = errors.New("entity failed")
	// ErrVersionMismatch: a command's IfVersion is not the entity's
	// version. The error is a *VersionMismatchError.
	ErrVersionMismatch = errors.New("entity version mismatch")
)

// VersionMismatchError is a command refused because the entity is not at
// the version the command expected.
type VersionMismatchError struct {
	Ref              Ref
	Expected, Actual uint64
}

// Error implements error.
func (e *VersionMismatchError) Error() string {
	return fmt.Sprintf("%s: %s: expected version %d, it is at %d", ErrVersionMismatch, e.Ref, e.Expected, e.Actual)
}

// Is makes errors.Is(err, ErrVersionMismatch) true.
func (e *VersionMismatchError) Is(target error) bool { return target == ErrVersionMismatch }

// EventStore is the part of the event store entities need.
type EventStore interface {
	Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error)
	ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error)
}

// Config configures the runtime.
type Config struct {
	// AskTimeout bounds how long a command waits for its entity's answer.
	AskTimeout time.Duration
	// WriteTimeout bounds one command's recovery and append inside the
	// entity. It runs even if the caller goes away, so that a command that
	// reached its entity completes or fails as a whole.
	WriteTimeout time.Duration
	// IdleTimeout passivates an entity's actor after about that long without
	// commands (between one and one and a half times it); 0 keeps actors
	// forever.
	IdleTimeout time.Duration
	// MaxRestarts within RestartWindow stops an entity that keeps failing;
	// its next command starts it afresh from its stream.
	MaxRestarts   int
	RestartWindow time.Duration
	// InitialBackoff is the delay before restarting a failed entity; it
	// doubles with each failure in the window, up to MaxBackoff.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// SnapshotEvery is how many events an entity appends between two
	// snapshots, for entities that are Snapshotters on a store that is an
	// events.SnapshotStore (default DefaultSnapshotEvery).
	SnapshotEvery int
}

// DefaultSnapshotEvery is the default Config.SnapshotEvery.
const DefaultSnapshotEvery = 100

func (c *Config) setDefaults() {
	if c.AskTimeout == 0 {
		c.AskTimeout = 10 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.MaxRestarts == 0 {
		c.MaxRestarts = 10
	}
	if c.RestartWindow == 0 {
		c.RestartWindow = time.Minute
	}
	if c.InitialBackoff == 0 {
		c.InitialBackoff = 10 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 5 * time.Second
	}
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = DefaultSnapshotEvery
	}
}

// Validate reports every invalid setting.
func (c Config) Validate() error {
	var errs []error
	if c.AskTimeout < 0 || c.WriteTimeout < 0 || c.IdleTimeout < 0 || c.RestartWindow < 0 || c.InitialBackoff < 0 || c.MaxBackoff < 0 {
		errs = append(errs, errors.New("actors: timeouts must not be negative"))
	}
	if c.MaxRestarts < 0 {
		errs = append(errs, errors.New("actors: MaxRestarts must not be negative"))
	}
	if c.SnapshotEvery < 0 {
		errs = append(errs, errors.New("actors: SnapshotEvery must not be negative"))
	}
	return errors.Join(errs...)
}

// System hosts entities as protoactor actors: one supervisor actor per kind,
// and under it one actor per entity, spawned on the entity's first command.
type System struct {
	cfg         Config
	actors      *actor.ActorSystem
	supervisors map[string]*actor.PID
	metrics     *metrics
	dispatcher  *dispatcher
	// stopped is closed once Shutdown has stopped the actors: a request
	// sent since is not answered.
	stopped    chan struct{}
	shutdown   sync.Once
	stopSweeps context.CancelFunc
	sweeping   sync.WaitGroup
}

// New starts the runtime for kinds, appending to store.
func New(cfg Config, store EventStore, kinds []Kind, logger *slog.Logger, reg prometheus.Registerer) (*System, error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	m, err := newMetrics(reg, kinds)
	if err != nil {
		return nil, err
	}
	as := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return logger.With("component", "protoactor")
	}))
	d := newDispatcher()
	s := &System{cfg: cfg, actors: as, supervisors: make(map[string]*actor.PID, len(kinds)), metrics: m, dispatcher: d, stopped: make(chan struct{})}
	for _, k := range kinds {
		props := actor.PropsFromProducer(func() actor.Actor {
			return newSupervisor(k, store, cfg, logger, m.live.WithLabelValues(k.Name), d)
		}, actor.WithSupervisor(&backoffStrategy{cfg: cfg, logger: logger}), actor.WithDispatcher(d))
		pid, err := as.Root.SpawnNamed(props, k.Name)
		if err != nil {
			as.Shutdown()
			d.stop()
			return nil, fmt.Errorf("spawn %s supervisor: %w", k.Name, err)
		}
		s.supervisors[k.Name] = pid
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.stopSweeps = cancel
	if cfg.IdleTimeout > 0 {
		s.sweeping.Add(1)
		go s.sweep(ctx)
	}
	return s, nil
}

// sweep asks every supervisor, twice per idle timeout, to passivate its idle
// entity actors, until ctx ends.
func (s *System) sweep(ctx context.Context) {
	defer s.sweeping.Done()
	t := time.NewTicker(max(s.cfg.IdleTimeout/2, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			for _, pid := range s.supervisors {
				s.actors.Root.Send(pid, &sweep{now: now})
			}
		}
	}
}

// Ask sends cmd to the entity ref and waits for its result. Rejections by the
// entity's decision come back as the decision's errors (see package
// decision); ErrUnavailable and ErrEntityFailed report runtime trouble.
func (s *System) Ask(ctx context.Context, ref Ref, cmd Command) (Result, error) {
	start := time.Now()
	res, err := s.ask(ctx, ref, cmd)
	s.metrics.observe(ref.Kind, cmd.Body, err, time.Since(start))
	return res, err
}

func (s *System) ask(ctx context.Context, ref Ref, cmd Command) (Result, error) {
	sup, ok := s.supervisors[ref.Kind]
	if !ok {
		return Result{}, fmt.Errorf("%w: %q", ErrUnknownKind, ref.Kind)
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	timeout := s.cfg.AskTimeout
	if d, ok := ctx.Deadline(); ok {
		if timeout = min(timeout, time.Until(d)); timeout <= 0 {
			return Result{}, context.DeadlineExceeded
		}
	}
	if cmd.CorrelationID == "" {
		cmd.CorrelationID = cmd.ID
	}
	req := newRequest(ctx, ref.ID, cmd)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	s.actors.Root.Send(sup, req)
	select {
	case r := <-req.replies:
		return r.res, r.err
	case <-timer.C:
		return Result{}, fmt.Errorf("%w: %s: no answer within %v", ErrUnavailable, ref, timeout)
	case <-s.stopped:
		return Result{}, fmt.Errorf("%w: %s: the runtime has shut down", ErrUnavailable, ref)
	}
}

// Shutdown stops every entity actor and the actor system. A command asked
// afterwards fails with ErrUnavailable. Shutting down again does nothing.
func (s *System) Shutdown() {
	s.shutdown.Do(func() {
		s.stopSweeps()
		s.sweeping.Wait()
		for _, pid := range s.supervisors {
			if err := s.actors.Root.StopFuture(pid).Wait(); err != nil {
				s.actors.Logger().Warn("supervisor did not stop in time", "pid", pid.Id, "err", err)
			}
		}
		s.actors.Shutdown()
		close(s.stopped)
		s.dispatcher.stop()
	})
}
