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

// maxBatch bounds how many requests an entity decides in one append.
const maxBatch = 256

// entityActor hosts one entity. It recovers the entity's state from its
// stream before deciding anything. Requests wait in its inbox while it
// writes; it then decides all of them in order, each on the state the
// previous ones left, appends all their events at once with the stream
// version it knows as the expected version, and only once they are durable
// replies to each (persist, then reply). A busy entity thus shares one
// fsync among many commands. The state the later commands of a batch are
// decided on holds the earlier ones' events before they are durable; if
// the append fails, that state is thrown away (the next batch recovers from
// the stream) and every command decided on it is answered with the
// failure, so that no answer rests on an event that was not written.
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

	// snapshotSize is the payload size of that snapshot, and sinceBytes
	// the payload bytes of the events applied after it (see maybeSnapshot).
	snapshotSize, sinceBytes int

	inbox     []*request
	scheduled bool // a drainInbox message is on its way
}

// drainInbox tells the actor to decide the requests in its inbox.
type drainInbox struct{}

func newEntityActor(ref Ref, newEntity func() Entity, store EventStore, cfg Config, logger *slog.Logger) *entityActor {
	return &entityActor{ref: ref, newEntity: newEntity, store: store, cfg: cfg, logger: logger, entity: newEntity()}
}

// Receive implements actor.Actor. Requests go to the inbox; the first one
// schedules a drainInbox behind the requests already in the mailbox, so
// that they all join the same batch. A stopping actor drains its inbox
// first: no request is lost to passivation.
func (a *entityActor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *request:
		a.inbox = append(a.inbox, m)
		if !a.scheduled {
			a.scheduled = true
			c.Send(c.Self(), drainInbox{})
		}
	case drainInbox:
		a.scheduled = false
		a.drain()
		a.restIfDone(c)
	case *actor.Stopping:
		a.drain()
	}
}

// restIfDone asks the supervisor to passivate the actor once its entity
// has come to rest (see Resting) with its state recovered and nothing in
// its inbox: requests sent meanwhile are answered before it stops.
func (a *entityActor) restIfDone(c actor.Context) {
	if r, ok := a.entity.(Resting); ok && a.recovered && len(a.inbox) == 0 && r.Resting() {
		c.Send(c.Parent(), &rest{who: c.Self()})
	}
}

// drain decides the inbox's requests, maxBatch at a time, and answers
// them. A panic in the entity's code is answered with ErrEntityFailed to
// the whole batch and then re-raised, so that the supervisor restarts this
// actor, which recovers its state from the stream: whatever was not
// durable is forgotten.
func (a *entityActor) drain() {
	for len(a.inbox) > 0 {
		n := min(len(a.inbox), maxBatch)
		batch := a.inbox[:n:n]
		a.inbox = a.inbox[n:]
		replies := a.serve(batch)
		for i, r := range batch {
			r.answer(replies[i])
		}
	}
	a.inbox = nil
}

func (a *entityActor) serve(batch []*request) []*reply {
	defer func() {
		if p := recover(); p != nil {
			// The restarted actor starts with an empty inbox: answer
			// the batch and whatever still waited behind it.
			a.recovered = false
			for _, r := range append(batch, a.inbox...) {
				r.answer(&reply{err: fmt.Errorf("%w: %s: %v", ErrEntityFailed, a.ref, p)})
			}
			a.inbox = nil
			panic(p)
		}
	}()
	return a.handle(batch)
}

// handle decides a batch and returns each request's reply.
func (a *entityActor) handle(batch []*request) []*reply {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(batch[0].ctx), a.cfg.WriteTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		if !a.recovered {
			if err := a.recover(ctx); err != nil {
				return failAll(len(batch), err)
			}
		}
		base := a.version
		replies, evs, firstWrite, err := a.decideAll(batch)
		if err != nil {
			a.recovered = false
			return failFrom(replies, firstWrite, err)
		}
		if len(evs) == 0 {
			return replies
		}
		res, err := a.store.Append(ctx, a.ref.Stream(), events.Exact(base), evs)
		if errors.Is(err, events.ErrWrongExpectedVersion) && attempt < maxConflictRetries {
			// Another writer got there first: recover and decide again.
			a.recovered = false
			continue
		}
		if err != nil {
			// The append's outcome is unknown: rebuild from the stream before deciding again.
			a.recovered = false
			return failFrom(replies, firstWrite, fmt.Errorf("%s: append: %w", a.ref, err))
		}
		for _, r := range replies[firstWrite:] {
			if r.err == nil && r.res.Events > 0 {
				r.res.LastPosition = res.LastPosition
			}
		}
		a.maybeSnapshot(ctx)
		return replies
	}
}

// decideAll decides each request of a batch on the state the previous ones
// left, applying their events as it goes. It returns the replies, the
// events to append, and the index of the first request that decided
// events (len(batch) if none). An error means the state is in doubt.
func (a *entityActor) decideAll(batch []*request) (replies []*reply, evs []events.Event, firstWrite int, err error) {
	replies, firstWrite = make([]*reply, len(batch)), len(batch)
	now := time.Now().UTC()
	for i, r := range batch {
		cmd := r.cmd
		if _, ok := cmd.Body.(Inspect); ok {
			replies[i] = &reply{res: Result{LastVersion: a.version, State: a.entity.View()}}
			continue
		}
		if v := cmd.IfVersion; v != nil && *v != a.version {
			replies[i] = &reply{res: Result{LastVersion: a.version}, err: &VersionMismatchError{Ref: a.ref, Expected: *v, Actual: a.version}}
			continue
		}
		msgs, err := a.entity.Decide(cmd.Body)
		if err != nil {
			replies[i] = &reply{err: err}
			continue
		}
		decided, err := toEvents(msgs, cmd, now, a.correlator())
		if err != nil {
			replies[i] = &reply{err: err}
			continue
		}
		if len(decided) > 0 && firstWrite == len(batch) {
			firstWrite = i
		}
		for j := range decided {
			if err := a.applyDecided(&decided[j]); err != nil {
				return replies, nil, min(firstWrite, i), err
			}
		}
		evs = append(evs, decided...)
		replies[i] = &reply{res: Result{Events: len(decided), LastVersion: a.version, State: a.view(cmd), Decided: msgs}}
	}
	return replies, evs, firstWrite, nil
}

// failAll answers every request of a batch with err.
func failAll(n int, err error) []*reply {
	return failFrom(make([]*reply, n), 0, err)
}

// failFrom answers with err every request from the first that decided
// events on: their answers rest on events that were not written.
func failFrom(replies []*reply, from int, err error) []*reply {
	for i := range replies {
		if i >= from || replies[i] == nil {
			replies[i] = &reply{err: err}
		}
	}
	return replies
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
// the events after it. A stream too short to have been snapshotted is read
// whole, without looking for a snapshot: a new entity's recovery is one
// read of the store.
func (a *entityActor) recover(ctx context.Context) error {
	a.entity, a.version, a.snapshotAt = a.newEntity(), 0, 0
	a.snapshotSize, a.sinceBytes = 0, 0
	a.recovered = false
	if a.snapshotting() {
		first, done, err := a.readFirst(ctx)
		if err != nil || done {
			return err
		}
		if err := a.restoreSnapshot(ctx); err != nil {
			return err
		}
		if a.version == 0 { // no snapshot: the events read first stand
			if err := a.applyAll(first); err != nil {
				return err
			}
		}
	}
	return a.catchUp(ctx)
}

// readFirst reads the first events of the stream, as many as an entity
// appends before its first snapshot (Config.SnapshotEvery, at most
// recoveryPage). When that is all there is, no snapshot can stand for
// them (see maybeSnapshot; a snapshot taken under a smaller SnapshotEvery
// is only a shortcut, not needed): it applies them and reports the
// recovery done.
func (a *entityActor) readFirst(ctx context.Context) (first []events.Envelope, done bool, err error) {
	limit := min(a.cfg.SnapshotEvery, recoveryPage)
	first, err = a.store.ReadStream(ctx, a.ref.Stream(), 1, events.Forward, limit)
	switch {
	case errors.Is(err, events.ErrStreamNotFound):
		a.recovered = true
		return nil, true, nil
	case err != nil:
		return nil, false, fmt.Errorf("%s: recover: %w", a.ref, err)
	case len(first) < limit:
		if err := a.applyAll(first); err != nil {
			return nil, false, err
		}
		a.recovered = true
		return nil, true, nil
	}
	return first, false, nil
}

// applyAll applies events read from the stream.
func (a *entityActor) applyAll(envs []events.Envelope) error {
	for i := range envs {
		if err := a.apply(&envs[i]); err != nil {
			return err
		}
	}
	return nil
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
		if err := a.applyAll(page); err != nil {
			return err
		}
		if len(page) < recoveryPage {
			break
		}
	}
	a.recovered = true
	return nil
}

// applyDecided applies an event the entity decided, before it is durable,
// as a read of the stream would return it once it is (less its global
// position, which no entity uses).
func (a *entityActor) applyDecided(e *events.Event) error {
	env := events.Envelope{
		ID: e.ID, Stream: a.ref.Stream(), Version: a.version + 1, Type: e.Type,
		RecordedAt: e.RecordedAt, SchemaVersion: e.SchemaVersion, Payload: e.Payload, Metadata: e.Metadata,
	}
	return a.apply(&env)
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
	a.sinceBytes += len(env.Payload)
	return nil
}

// correlator is the entity's Correlator, nil if it is none.
func (a *entityActor) correlator() Correlator {
	c, _ := a.entity.(Correlator)
	return c
}

// toEvents encodes decided messages as events of cmd, decided at now,
// each with the correlation id c gives it (if c is not nil and gives one)
// or the command's.
func toEvents(msgs []proto.Message, cmd Command, now time.Time, c Correlator) ([]events.Event, error) {
	evs := make([]events.Event, len(msgs))
	for i, m := range msgs {
		md := events.Metadata{CorrelationID: cmd.CorrelationID, CausationID: cmd.ID, Principal: cmd.Principal}
		if c != nil {
			if id := c.CorrelationOf(m); id != "" {
				md.CorrelationID = id
			}
		}
		e, err := events.NewEvent(m, md)
		if err != nil {
			return nil, err
		}
		e.RecordedAt = now
		evs[i] = e
	}
	return evs, nil
}
