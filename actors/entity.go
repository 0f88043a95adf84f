package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"

	"hive/events"
)

// maxConflictRetries is how many times an entity catches up and decides
// again when another writer appended to its stream first.
const maxConflictRetries = 3

// recoveryPage is how many events one read of a recovering entity fetches.
const recoveryPage = 1000

// entityActor hosts one entity. It recovers the entity's state from its
// stream before deciding anything, and for each command it decides, appends
// the decided events with the stream version it knows as the expected
// version, applies them once they are durable, and only then replies
// (persist, then apply, then reply). Commands are handled one at a time, so
// none is decided while a write is in flight.
type entityActor struct {
	ref       Ref
	newEntity func() Entity
	store     EventStore
	cfg       Config
	logger    *slog.Logger

	entity    Entity
	version   uint64
	recovered bool
}

func newEntityActor(ref Ref, newEntity func() Entity, store EventStore, cfg Config, logger *slog.Logger) *entityActor {
	return &entityActor{ref: ref, newEntity: newEntity, store: store, cfg: cfg, logger: logger, entity: newEntity()}
}

// Receive implements actor.Actor.
func (a *entityActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *actor.Started:
		if a.cfg.IdleTimeout > 0 {
			c.SetReceiveTimeout(a.cfg.IdleTimeout)
		}
	case *actor.ReceiveTimeout:
		c.Request(c.Parent(), &passivate{id: a.ref.ID})
	case *request:
		a.serve(c, m)
	}
}

// serve answers a request. A panic in the entity's code is answered with
// ErrEntityFailed and then re-raised, so that the supervisor restarts this
// actor, which recovers its state from the stream: whatever was not durable
// is forgotten.
func (a *entityActor) serve(c actor.Context, r *request) {
	defer func() {
		if p := recover(); p != nil {
			c.Respond(&reply{err: fmt.Errorf("%w: %s: %v", ErrEntityFailed, a.ref, p)})
			panic(p)
		}
	}()
	res, err := a.handle(r)
	c.Respond(&reply{res: res, err: err})
}

func (a *entityActor) handle(r *request) (Result, error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), a.cfg.WriteTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		if err := a.catchUp(ctx); err != nil {
			return Result{}, err
		}
		msgs, err := a.entity.Decide(r.cmd.Body)
		if err != nil {
			return Result{}, err
		}
		if len(msgs) == 0 {
			return Result{LastVersion: a.version, State: a.entity.View()}, nil
		}
		evs, err := toEvents(msgs, r.cmd)
		if err != nil {
			return Result{}, err
		}
		res, err := a.store.Append(ctx, a.ref.Stream(), events.Exact(a.version), evs)
		if errors.Is(err, events.ErrWrongExpectedVersion) && attempt < maxConflictRetries {
			continue // another writer got there first: catch up and decide again
		}
		if err != nil {
			// The append's outcome is unknown: read the stream before deciding again.
			a.recovered = false
			return Result{}, fmt.Errorf("%s: append: %w", a.ref, err)
		}
		if err := a.catchUp(ctx); err != nil {
			return Result{}, err
		}
		return Result{Events: len(evs), LastVersion: res.LastVersion, LastPosition: res.LastPosition, State: a.entity.View()}, nil
	}
}

// catchUp applies the stream's events after the version the entity has
// reached. It rebuilds the state from scratch when a previous attempt left
// it in doubt.
func (a *entityActor) catchUp(ctx context.Context) error {
	if !a.recovered {
		a.entity, a.version = a.newEntity(), 0
	}
	for {
		page, err := a.store.ReadStream(ctx, a.ref.Stream(), a.version+1, events.Forward, recoveryPage)
		if errors.Is(err, events.ErrStreamNotFound) {
			break
		}
		if err != nil {
			a.recovered = false
			return fmt.Errorf("%s: recover: %w", a.ref, err)
		}
		for i := range page {
			if err := a.apply(&page[i]); err != nil {
				a.recovered = false
				return err
			}
		}
		if len(page) < recoveryPage {
			break
		}
	}
	a.recovered = true
	return nil
}

func (a *entityActor) apply(env *events.Envelope) error {
	msg, err := events.Decode(env)
	if err != nil {
		return fmt.Errorf("%s: recover: %w", a.ref, err)
	}
	if err := a.entity.Apply(env, msg); err != nil {
		return fmt.Errorf("%s: apply %s version %d: %w", a.ref, env.Type, env.Version, err)
	}
	a.version = env.Version
	return nil
}

func toEvents(msgs []proto.Message, cmd Command) ([]events.Event, error) {
	md := events.Metadata{CorrelationID: cmd.CorrelationID, CausationID: cmd.ID, Principal: cmd.Principal}
	evs := make([]events.Event, len(msgs))
	for i, m := range msgs {
		e, err := events.NewEvent(m, md)
		if err != nil {
			return nil, err
		}
		evs[i] = e
	}
	return evs, nil
}
