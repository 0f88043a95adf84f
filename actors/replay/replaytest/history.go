// Package replaytest writes a small, fixed history of real decisions into
// an event store: the history the tests of package replay and the golden
// tests of hive audit and hive replay run on. Every event is decided by the
// entities' own Decide functions, at fixed times, with fixed ids, so that
// the history is byte for byte the same on every run; its TaskFailed
// events are written with schema version 1, as an older Hive wrote them,
// so that it also exercises upcasting.
package replaytest

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/swarm"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Appender is the part of an event store the history is written to.
type Appender interface {
	Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error)
}

// T0 is the time of the history's first event; each command is a minute
// after the one before.
var T0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// Release is the correlation id of the commands of the release: three
// tasks submitted, one completed, one failed twice, and their reactions.
const Release = "release-42"

// idSpace scopes the history's event ids.
var idSpace = uuid.MustParse("6f1c1f4e-8a53-4c47-9b7e-2d51c1a0e7b3")

// History is what Write wrote.
type History struct {
	SwarmID string
	// Agents are the agents' ids by name.
	Agents map[string]string
	// Tasks are the ids of the tasks in the order submitted.
	Tasks []string
	// Positions are the global positions of the history's commands' last
	// events, in order (as the store gave them).
	Positions []uint64
}

// writer decides commands on entities and appends their events.
type writer struct {
	ctx      context.Context
	store    Appender
	entities map[actors.Ref]actors.Entity
	versions map[actors.Ref]uint64
	clock    time.Time
	commands int
	h        *History
}

// Write writes the history into store, which must be empty.
func Write(ctx context.Context, store Appender) (History, error) {
	h := &History{SwarmID: swarm.IDFor("crew"), Agents: map[string]string{}}
	w := &writer{ctx: ctx, store: store, entities: map[actors.Ref]actors.Entity{}, versions: map[actors.Ref]uint64{}, clock: T0, h: h}
	if err := w.setup(); err != nil {
		return History{}, err
	}
	if err := w.release(); err != nil {
		return History{}, err
	}
	if err := w.vote(); err != nil {
		return History{}, err
	}
	return *h, nil
}

// cause is who caused a command: a principal and correlation, and the
// command's id or the event that caused it.
type cause struct {
	principal, correlation, causation string
}

// do decides cmd on ref's entity, appends the events it causes and returns
// them as stored, with the messages decided.
func (w *writer) do(ref actors.Ref, cmd any, c cause) ([]events.Envelope, []proto.Message, error) {
	ent, ok := w.entities[ref]
	if !ok {
		ent = newEntity(ref.Kind)
		w.entities[ref] = ent
	}
	w.commands++
	if c.causation == "" {
		c.causation = fmt.Sprintf("cmd-%d", w.commands)
	}
	msgs, err := ent.Decide(cmd)
	if err != nil {
		return nil, nil, fmt.Errorf("%s %T: %w", ref, cmd, err)
	}
	evs := make([]events.Event, len(msgs))
	for i, m := range msgs {
		ec := c
		if corr, ok := ent.(actors.Correlator); ok && corr.CorrelationOf(m) != "" {
			ec.correlation = corr.CorrelationOf(m) // as the runtime records it
		}
		if evs[i], err = w.event(ref, i, m, ec); err != nil {
			return nil, nil, err
		}
	}
	expected := events.NoStream()
	if v := w.versions[ref]; v > 0 {
		expected = events.Exact(v)
	}
	res, err := w.store.Append(w.ctx, ref.Stream(), expected, evs)
	if err != nil {
		return nil, nil, fmt.Errorf("append to %s: %w", ref.Stream(), err)
	}
	envs := make([]events.Envelope, len(evs))
	for i, e := range evs {
		w.versions[ref]++
		envs[i] = events.Envelope{ID: e.ID, Stream: ref.Stream(), Version: w.versions[ref], Type: e.Type,
			RecordedAt: e.RecordedAt, SchemaVersion: e.SchemaVersion, Payload: e.Payload, Metadata: e.Metadata}
		if err := ent.Apply(&envs[i], msgs[i]); err != nil {
			return nil, nil, fmt.Errorf("apply to %s: %w", ref, err)
		}
	}
	w.h.Positions = append(w.h.Positions, res.LastPosition)
	return envs, msgs, nil
}

// event encodes m as the i-th event of a command on ref, with a fixed id,
// at the command's time; a TaskFailed as schema version 1.
func (w *writer) event(ref actors.Ref, i int, m proto.Message, c cause) (events.Event, error) {
	typ, payload, err := events.Encode(m)
	if err != nil {
		return events.Event{}, err
	}
	version := events.SchemaVersion(typ)
	if f, ok := m.(*hivev1.TaskFailed); ok {
		payload, version = taskFailedV1(f, payload), 1
	}
	id := uuid.NewSHA1(idSpace, fmt.Appendf(nil, "%s/%d", ref.Stream(), w.versions[ref]+uint64(i)+1))
	return events.Event{ID: id, Type: typ, SchemaVersion: version, Payload: payload, RecordedAt: w.clock,
		Metadata: events.Metadata{CorrelationID: c.correlation, CausationID: c.causation, Principal: c.principal}}, nil
}

// taskFailedV1 returns the payload of f as schema version 1 wrote it: its
// failure's cause and reason as fields 8 and 9, not as field 11.
func taskFailedV1(f *hivev1.TaskFailed, current []byte) []byte {
	var out []byte
	for b := current; len(b) > 0; {
		num, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if num != 11 {
			out = append(out, b[:n+m]...)
		}
		b = b[n+m:]
	}
	for _, fld := range []struct {
		num protowire.Number
		v   string
	}{{8, f.GetFailure().GetCause()}, {9, f.GetFailure().GetReason()}} {
		if fld.v != "" {
			out = protowire.AppendTag(out, fld.num, protowire.BytesType)
			out = protowire.AppendString(out, fld.v)
		}
	}
	return out
}

// tick moves the clock to the next command's time.
func (w *writer) tick() time.Time {
	w.clock = w.clock.Add(time.Minute)
	return w.clock
}

func newEntity(kind string) actors.Entity {
	if kind == agent.Kind {
		return &agent.State{}
	}
	return &swarm.State{}
}
