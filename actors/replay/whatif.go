package replay

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/swarm"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Overrides are strategy weights by the names actors/swarm gives them
// (capability, load, success, speed); a weight not named keeps the value
// each assignment recorded.
type Overrides map[string]float64

// ParseOverrides reads "capability=1,load=0.5".
func ParseOverrides(s string) (Overrides, error) {
	o := Overrides{}
	for _, part := range strings.Split(s, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, fmt.Errorf("%w: weight %q: want name=value", events.ErrInvalidArgument, part)
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || v < 0 || v > swarm.MaxWeight {
			return nil, fmt.Errorf("%w: weight %s=%q: want a number from 0 to %d", events.ErrInvalidArgument, name, value, swarm.MaxWeight)
		}
		switch name {
		case "capability", "load", "success", "speed":
			o[name] = v
		default:
			return nil, fmt.Errorf("%w: weight %q: want capability, load, success or speed", events.ErrInvalidArgument, name)
		}
	}
	return o, nil
}

// apply returns the recorded weights with o's overrides.
func (o Overrides) apply(p *hivev1.SwarmWeights) swarm.Weights {
	w := swarm.Weights{Capability: p.GetCapability(), Load: p.GetLoad(), Success: p.GetSuccess(), Speed: p.GetSpeed()}
	if w == (swarm.Weights{}) {
		w = swarm.DefaultWeights
	}
	for name, v := range o {
		switch name {
		case "capability":
			w.Capability = v
		case "load":
			w.Load = v
		case "success":
			w.Success = v
		case "speed":
			w.Speed = v
		}
	}
	return w
}

// Divergence is an assignment the other weights would have made otherwise.
type Divergence struct {
	Position uint64 `json:"position"`
	TaskID   string `json:"task_id"`
	Attempt  int32  `json:"attempt"`
	// Recorded is the member assigned, with the score it was recorded
	// with.
	Recorded      string  `json:"recorded_agent"`
	RecordedScore float64 `json:"recorded_score"`
	// Alternative is the member the other weights choose, with its score
	// under them; RecordedRescored is the recorded member's score under
	// them.
	Alternative      string  `json:"alternative_agent"`
	AlternativeScore float64 `json:"alternative_score"`
	RecordedRescored float64 `json:"recorded_rescored"`
}

// WhatIfReport is the outcome of re-running a swarm's assignments.
type WhatIfReport struct {
	Swarm       string    `json:"swarm"`
	Weights     Overrides `json:"weights"`
	Assignments int       `json:"assignments"`
	Differ      int       `json:"differ"`
	// Unreplayable counts the assignments the state before them could not
	// re-decide (the task not queued, or no member eligible): a sign that
	// the history and the decision rules disagree.
	Unreplayable int          `json:"unreplayable"`
	Divergences  []Divergence `json:"divergences"`
}

// WhatIf re-runs every assignment of swarm id over its recorded history:
// before applying each TaskAssigned it asks the swarm's state, as it was
// then, whom it would choose with the recorded weights overridden by o
// (swarm.State.Choose, then WhatIf for the candidates' scores: the
// assignments' own pure decision), and reports the assignments that would
// differ. The history itself is applied as
// recorded: later assignments are judged on the state the recorded ones
// left, so each divergence is one decision, not a cascade.
func (r *Replayer) WhatIf(ctx context.Context, id string, o Overrides) (WhatIfReport, error) {
	ref := actors.Ref{Kind: swarm.Kind, ID: id}
	st := &swarm.State{}
	rep := WhatIfReport{Swarm: id, Weights: o, Divergences: []Divergence{}}
	err := r.fold(ctx, ref.Stream(), 1, leanDecoder(), func(env *events.Envelope, msg proto.Message) (bool, error) {
		if m, ok := msg.(*hivev1.TaskAssigned); ok {
			rep.Assignments++
			w := o.apply(m.GetWeights())
			chosen, ok := st.Choose(m.GetTaskId(), w)
			switch {
			case !ok:
				rep.Unreplayable++
			case chosen != m.GetAgentId():
				ch, _ := st.WhatIf(m.GetTaskId(), w) // the rules of Choose: the same member, with the scores
				d, err := divergence(env, ch)
				if err != nil {
					return false, err
				}
				rep.Differ++
				rep.Divergences = append(rep.Divergences, d)
			}
		}
		if err := st.Apply(env, msg); err != nil {
			return false, fmt.Errorf("what-if: apply %s version %d: %w", env.Type, env.Version, err)
		}
		return true, nil
	})
	if err == nil && st.Version() == 0 {
		err = fmt.Errorf("%w: %s", ErrNotFound, ref)
	}
	return rep, err
}

// candidatesField is the field number of TaskAssigned's candidates.
const candidatesField = 11

// leanDecoder returns a decoder that decodes a TaskAssigned without its
// recorded candidates: they are most of an assignment's bytes, and neither
// the swarm's Apply nor Choose reads them (divergence decodes them again
// for the few assignments that differ). Other events it decodes whole. It
// reuses one buffer: one goroutine uses it.
func leanDecoder() decoder {
	var lean []byte
	return func(env *events.Envelope) (proto.Message, error) {
		if env.Type != assignedType {
			return events.Decode(env)
		}
		payload, err := events.Upcast(env)
		if err != nil {
			return nil, err
		}
		lean = lean[:0]
		for b := payload; len(b) > 0; {
			num, typ, n := protowire.ConsumeTag(b)
			m := protowire.ConsumeFieldValue(num, typ, b[max(n, 0):])
			if n < 0 || m < 0 {
				return nil, fmt.Errorf("%s version %d: malformed payload", env.Stream, env.Version)
			}
			if num != candidatesField {
				lean = append(lean, b[:n+m]...)
			}
			b = b[n+m:]
		}
		return events.DecodePayload(env.Type, lean)
	}
}

// assignedType is the type name of TaskAssigned events.
const assignedType = "hive.v1.TaskAssigned"

// divergence describes the recorded assignment env and the choice ch made
// instead.
func divergence(env *events.Envelope, ch swarm.Choice) (Divergence, error) {
	msg, err := events.Decode(env)
	if err != nil {
		return Divergence{}, fmt.Errorf("what-if: %w", err)
	}
	m := msg.(*hivev1.TaskAssigned)
	d := Divergence{
		Position: env.Position, TaskID: m.GetTaskId(), Attempt: m.GetAttempt(),
		Recorded: m.GetAgentId(), Alternative: ch.AgentID,
	}
	for _, c := range m.GetCandidates() {
		if c.GetAgentId() == m.GetAgentId() {
			d.RecordedScore = c.GetScore()
		}
	}
	for _, c := range ch.Candidates {
		switch c.AgentID {
		case ch.AgentID:
			d.AlternativeScore = c.Score
		case m.GetAgentId():
			d.RecordedRescored = c.Score
		}
	}
	return d, nil
}
