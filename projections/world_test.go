package projections_test

import (
	"strconv"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/reactions"
	"hive/actors/swarm"
	"hive/actors/workflow"
	"hive/events"
	"hive/projections"
)

// entity is a decision-making entity's state, as the runtime drives it.
type entity interface {
	Decide(c any) ([]proto.Message, error)
	Apply(env *events.Envelope, msg proto.Message) error
}

// world decides commands on real entity states, as the runtime does, and
// follows the reaction rules between them, recording every event in one
// log: histories made of real decisions.
type world struct {
	t        testing.TB
	log      []*events.Envelope
	entities map[actors.Ref]entity
	versions map[string]uint64
	now      time.Time
	commands int
}

var t0 = time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

func newWorld(t testing.TB) *world {
	return &world{t: t, entities: map[actors.Ref]entity{}, versions: map[string]uint64{}, now: t0}
}

// advance moves the world's clock by d.
func (w *world) advance(d time.Duration) { w.now = w.now.Add(d) }

func (w *world) entity(ref actors.Ref) entity {
	e := w.entities[ref]
	if e == nil {
		switch ref.Kind {
		case agent.Kind:
			e = &agent.State{}
		case swarm.Kind:
			e = &swarm.State{}
		case workflow.Kind:
			e = &workflow.State{}
		default:
			w.t.Fatalf("no entity kind %q", ref.Kind)
		}
		w.entities[ref] = e
	}
	return e
}

// do decides body on ref as principal, then the reactions it causes, and
// fails the test if body is rejected.
func (w *world) do(principal string, ref actors.Ref, body any) {
	w.t.Helper()
	w.commands++
	id := "cmd-" + strconv.Itoa(w.commands)
	if err := w.decide(principal, id, id, ref, body); err != nil {
		w.t.Fatalf("%s %T: %v", ref, body, err)
	}
}

func (w *world) decide(principal, correlation, causation string, ref actors.Ref, body any) error {
	msgs, err := w.entity(ref).Decide(body)
	if err != nil {
		return err
	}
	var caused []*events.Envelope
	for _, m := range msgs {
		env := w.record(principal, correlation, causation, ref, m)
		caused = append(caused, env)
	}
	for _, env := range caused {
		msg, err := events.Decode(env)
		if err != nil {
			w.t.Fatal(err)
		}
		for _, r := range reactions.Rules(env, msg) {
			if err := w.decide(principal, correlation, env.ID.String(), r.To, r.Body); err != nil && r.Compensate != nil {
				for _, c := range r.Compensate(err) {
					_ = w.decide(principal, correlation, env.ID.String(), c.To, c.Body) // a refused compensation changes nothing
				}
			}
		}
	}
	return nil
}

// record appends m to ref's stream and applies it to the entity.
func (w *world) record(principal, correlation, causation string, ref actors.Ref, m proto.Message) *events.Envelope {
	e, err := events.NewEvent(m, events.Metadata{CorrelationID: correlation, CausationID: causation, Principal: principal})
	if err != nil {
		w.t.Fatal(err)
	}
	w.versions[ref.Stream()]++
	env := &events.Envelope{ID: e.ID, Stream: ref.Stream(), Version: w.versions[ref.Stream()], Position: uint64(len(w.log) + 1),
		Type: e.Type, RecordedAt: w.now, SchemaVersion: e.SchemaVersion, Payload: e.Payload, Metadata: e.Metadata}
	if err := w.entity(ref).Apply(env, m); err != nil {
		w.t.Fatalf("apply %s: %v", e.Type, err)
	}
	w.log = append(w.log, env)
	return env
}

// applyAll applies the log's events to p.
func applyAll(t testing.TB, p projections.Projection, log []*events.Envelope) {
	t.Helper()
	for _, env := range log {
		if err := p.Apply(committed(env)); err != nil {
			t.Fatalf("apply %s at %d: %v", env.Type, env.Position, err)
		}
	}
}

// committed is env as the runner hands it to a projection.
func committed(env *events.Envelope) *events.Committed {
	return events.NewCommitted(*env, env.Position-1)
}
