package actors

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

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

	entity     Entity
	version    uint64
	snapshotAt uint64 // version of the newest snapshot saved or restored
	recovered  bool
}

func newEntityActor(ref Ref, newEntity func() Entity, store EventStore, cfg Config, logger *slog.Logger) *entityActor {
	return &entityActor{ref: ref, newEntity: newEntity, store: store, cfg: cfg, logger: logger, entity: newEntity()}
}

// Receive implements actor.Actor.
func (a *entityActor) Receive(c actor.Context) {
	if r, ok := c.Message().(*request); ok {
		a.serve(c, r)
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
	if !a.recovered {
		if err := a.recover(ctx); err != nil {
			return Result{}, err
		}
	}
	if _, ok := r.cmd.Body.(Inspect); ok {
		return Result{LastVersion: a.version, State: a.entity.View()}, nil
	}
	for attempt := 0; ; attempt++ {
		if v := r.cmd.IfVersion; v != nil && *v != a.version {
			return Result{LastVersion: a.version}, &VersionMismatchError{Ref: a.ref, Expected: *v, Actual: a.version}
		}
		msgs, err := a.entity.Decide(r.cmd.Body)
		if err != nil {
			return Result{}, err
		}
		if len(msgs) == 0 {
			return Result{LastVersion: a.version, State: a.view(r.cmd)}, nil
		}
		evs, err := toEvents(msgs, r.cmd, time.Now().UTC())
		if err != nil {
			return Result{}, err
		}
		res, err := a.store.Append(ctx, a.ref.Stream(), events.Exact(a.version), evs)
		if errors.Is(err, events.ErrWrongExpectedVersion) && attempt < maxConflictRetries {
			// Another writer got there first: catch up and decide again.
			if err := a.catchUp(ctx); err != nil {
				return Result{}, err
			}
			continue
		}
		if err != nil {
			// The append's outcome is unknown: rebuild from the stream before deciding again.
			a.recovered = false
			return Result{}, fmt.Errorf("%s: append: %w", a.ref, err)
		}
		if err := a.applyAppended(evs, res); err != nil {
			return Result{}, err
		}
		a.maybeSnapshot(ctx)
		return Result{Events: len(evs), LastVersion: res.LastVersion, LastPosition: res.LastPosition, State: a.view(r.cmd)}, nil
	}
}

// view is the entity's view for the result of cmd, nil if its sender
// does not want it (a view may be a large copy).
func (a *entityActor) view(cmd Command) any {
	if cmd.SkipState {
		return nil
	}
	return a.entity.View()
}

// recover rebuilds the entity's state from its newest snapshot, if any, and
// the events after it.
func (a *entityActor) recover(ctx context.Context) error {
	a.entity, a.version, a.snapshotAt = a.newEntity(), 0, 0
	a.restoreSnapshot(ctx)
	return a.catchUp(ctx)
}

// catchUp applies the stream's events after the version the entity has
// reached. On failure the state is in doubt, and the next command recovers.
func (a *entityActor) catchUp(ctx context.Context) error {
	a.recovered = false
	for {
		page, err := a.store.ReadStream(ctx, a.ref.Stream(), a.version+1, events.Forward, recoveryPage)
		if errors.Is(err, events.ErrStreamNotFound) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: recover: %w", a.ref, err)
		}
		for i := range page {
			if err := a.apply(&page[i]); err != nil {
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

// applyAppended applies events the store has just made durable. They are
// what a read of the stream would return (the actor stamped their recorded
// time), less the global positions of all but the last, which no entity
// uses; so no read-back is needed.
func (a *entityActor) applyAppended(evs []events.Event, res events.AppendResult) error {
	first := res.LastVersion - uint64(len(evs)) + 1
	for i := range evs {
		e := &evs[i]
		env := events.Envelope{
			ID: e.ID, Stream: a.ref.Stream(), Version: first + uint64(i), Type: e.Type,
			RecordedAt: e.RecordedAt, SchemaVersion: e.SchemaVersion, Payload: e.Payload, Metadata: e.Metadata,
		}
		if i == len(evs)-1 {
			env.Position = res.LastPosition
		}
		if err := a.apply(&env); err != nil {
			a.recovered = false
			return err
		}
	}
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

// toEvents encodes decided messages as events of cmd, decided at now.
func toEvents(msgs []proto.Message, cmd Command, now time.Time) ([]events.Event, error) {
	md := events.Metadata{CorrelationID: cmd.CorrelationID, CausationID: cmd.ID, Principal: cmd.Principal}
	evs := make([]events.Event, len(msgs))
	for i, m := range msgs {
		e, err := events.NewEvent(m, md)
		if err != nil {
			return nil, err
		}
		e.RecordedAt = now
		evs[i] = e
	}
	return evs, nil
}
