package replay

import (
	"context"
	"fmt"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"hive/actors"
	"hive/events"
)

// Decision is one recorded event of an entity, with who caused it and why.
type Decision struct {
	Position uint64    `json:"position"`
	Stream   string    `json:"stream"`
	Version  uint64    `json:"version"`
	At       time.Time `json:"at"`
	// Type is the event's type without its package, e.g. "TaskAssigned".
	Type          string `json:"type"`
	EventID       string `json:"event_id"`
	Principal     string `json:"principal"`
	CausationID   string `json:"causation_id"`
	CorrelationID string `json:"correlation_id"`
	// Summary says what was decided; Why says why, a line each (the
	// candidates and their scores, the votes and the rule, the reason).
	Summary string   `json:"summary"`
	Why     []string `json:"why"`
}

// Audit returns the decisions of ref, in order.
func (r *Replayer) Audit(ctx context.Context, ref actors.Ref) ([]Decision, error) {
	out := []Decision{}
	err := r.fold(ctx, ref.Stream(), 1, events.Decode, func(env *events.Envelope, msg proto.Message) (bool, error) {
		out = append(out, decide(env, msg))
		return true, nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("%w: %s has no events", ErrNotFound, ref)
	}
	return out, err
}

// decide describes env, whose payload is msg, as a Decision.
func decide(env *events.Envelope, msg proto.Message) Decision {
	d := Decision{
		Position: env.Position, Stream: env.Stream, Version: env.Version, At: env.RecordedAt.UTC(),
		Type: shortType(env.Type), EventID: env.ID.String(), Principal: env.Principal,
		CausationID: env.CausationID, CorrelationID: env.CorrelationID, Why: []string{},
	}
	if explain, ok := explainers[env.Type]; ok {
		d.Summary, d.Why = explain(msg)
	} else {
		d.Summary, d.Why = generic(msg)
	}
	return d
}

func shortType(typ string) string {
	return typ[strings.LastIndexByte(typ, '.')+1:]
}

// identifying are the fields a generic summary shows, when set.
var identifying = []protoreflect.Name{"task_id", "agent_id", "step_id", "proposal_id", "run_id", "name", "status"}

// generic summarises an event without an explainer by its identifying
// fields, and gives its reason field, if any, as why.
func generic(msg proto.Message) (string, []string) {
	m := msg.ProtoReflect()
	fields := m.Descriptor().Fields()
	var parts []string
	for _, name := range identifying {
		if f := fields.ByName(name); f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() && m.Get(f).String() != "" {
			parts = append(parts, fmt.Sprintf("%s=%s", name, m.Get(f).String()))
		}
	}
	why := []string{}
	if f := fields.ByName("reason"); f != nil && f.Kind() == protoreflect.StringKind && m.Get(f).String() != "" {
		why = append(why, "reason: "+m.Get(f).String())
	}
	return strings.Join(parts, " "), why
}
