package agent_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/agent"
	"hive/actors/decision"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// given rebuilds an agent's state from events, as the runtime does.
func given(t *testing.T, evs ...proto.Message) agent.State {
	t.Helper()
	var s agent.State
	for i, m := range evs {
		env := &events.Envelope{Version: uint64(i + 1), Type: string(m.ProtoReflect().Descriptor().FullName()), RecordedAt: time.Unix(1700000000, 0)}
		if err := s.Apply(env, m); err != nil {
			t.Fatalf("apply given event %d: %v", i, err)
		}
	}
	return s
}

func registered(name string) *hivev1.AgentRegistered {
	return &hivev1.AgentRegistered{AgentId: agent.IDFor(name), Name: name, Capabilities: []string{"code"}, MaxConcurrency: 1}
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name    string
		given   []proto.Message
		when    any
		then    []proto.Message
		wantErr error
		fields  []string
	}{
		{
			name: "register a new agent",
			when: agent.Register{Name: "coder-1", Capabilities: []string{"code", "review"}, Labels: map[string]string{"team": "core"}, MaxConcurrency: 4},
			then: []proto.Message{&hivev1.AgentRegistered{
				AgentId: agent.IDFor("coder-1"), Name: "coder-1", Capabilities: []string{"code", "review"},
				Labels: map[string]string{"team": "core"}, MaxConcurrency: 4,
			}},
		},
		{
			name: "max concurrency defaults to one",
			when: agent.Register{Name: "solo"},
			then: []proto.Message{&hivev1.AgentRegistered{AgentId: agent.IDFor("solo"), Name: "solo", MaxConcurrency: 1}},
		},
		{
			name:    "register a name already registered",
			given:   []proto.Message{registered("coder-1")},
			when:    agent.Register{Name: "coder-1"},
			wantErr: agent.ErrAlreadyRegistered,
		},
		{name: "empty name", when: agent.Register{Name: ""}, wantErr: decision.ErrInvalid, fields: []string{"name"}},
		{name: "blank name", when: agent.Register{Name: "  \t"}, wantErr: decision.ErrInvalid, fields: []string{"name"}},
		{name: "name of 201 characters", when: agent.Register{Name: strings.Repeat("é", 201)}, wantErr: decision.ErrInvalid, fields: []string{"name"}},
		{name: "control character in name", when: agent.Register{Name: "a\nb"}, wantErr: decision.ErrInvalid, fields: []string{"name"}},
		{name: "invalid UTF-8 name", when: agent.Register{Name: "a\xffb"}, wantErr: decision.ErrInvalid, fields: []string{"name"}},
		{
			name:    "bad and duplicate capabilities",
			when:    agent.Register{Name: "x", Capabilities: []string{"code", "", "has space", "code"}},
			wantErr: decision.ErrInvalid, fields: []string{"capabilities[1]", "capabilities[2]", "capabilities[3]"},
		},
		{name: "negative max concurrency", when: agent.Register{Name: "x", MaxConcurrency: -1}, wantErr: decision.ErrInvalid, fields: []string{"max_concurrency"}},
		{name: "huge max concurrency", when: agent.Register{Name: "x", MaxConcurrency: 1 << 30}, wantErr: decision.ErrInvalid, fields: []string{"max_concurrency"}},
		{
			name:    "bad label key and long value",
			when:    agent.Register{Name: "x", Labels: map[string]string{"": "v", "ok": strings.Repeat("v", 257)}},
			wantErr: decision.ErrInvalid, fields: []string{"labels", "labels.ok"},
		},
		{
			name:    "too many capabilities, all bad: only their number is reported",
			when:    agent.Register{Name: "x", Capabilities: slices.Repeat([]string{"has space"}, decision.MaxCapabilities+1)},
			wantErr: decision.ErrInvalid, fields: []string{"capabilities"},
		},
		{
			name:    "too many labels, all bad: only their number is reported",
			when:    agent.Register{Name: "x", Labels: manyLabels(decision.MaxLabels + 1)},
			wantErr: decision.ErrInvalid, fields: []string{"labels"},
		},
		{name: "unknown command", when: struct{}{}, wantErr: decision.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := given(t, tc.given...)
			got, err := s.Decide(tc.when)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				if got != nil {
					t.Errorf("a rejected command decided %d events", len(got))
				}
				checkFields(t, err, tc.fields)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(got) != len(tc.then) {
				t.Fatalf("decided %d events, want %d", len(got), len(tc.then))
			}
			for i := range got {
				if !proto.Equal(got[i], tc.then[i]) {
					t.Errorf("event %d = %v, want %v", i, got[i], tc.then[i])
				}
			}
		})
	}
}

func checkFields(t *testing.T, err error, want []string) {
	t.Helper()
	if len(want) == 0 {
		return
	}
	var inv *decision.InvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("err = %v, want an InvalidError", err)
	}
	got := make([]string, len(inv.Fields))
	for i, f := range inv.Fields {
		got[i] = f.Field
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("invalid fields = %v, want %v", got, want)
	}
}

func TestApplyRebuildsState(t *testing.T) {
	s := given(t, registered("r1"))
	if s.Status != agent.StatusIdle || s.Name != "r1" || s.ID != agent.IDFor("r1") || s.Version != 1 {
		t.Errorf("state after registration = %+v", s)
	}
	if s.RegisteredAt.IsZero() {
		t.Error("registration time not taken from the envelope")
	}
}

func TestIDForIsStableAndDistinct(t *testing.T) {
	if agent.IDFor("a") != agent.IDFor("a") {
		t.Error("IDFor is not deterministic")
	}
	if agent.IDFor("a") == agent.IDFor("A") {
		t.Error("distinct names share an id")
	}
}

// manyLabels is n labels with bad keys and values too long.
func manyLabels(n int) map[string]string {
	labels := make(map[string]string, n)
	for i := range n {
		labels[fmt.Sprintf("bad key %d", i)] = strings.Repeat("v", decision.MaxLabelValueLength+1)
	}
	return labels
}
