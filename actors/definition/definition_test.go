package definition_test

import (
	"errors"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/definition"
	"hive/actors/workflow"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

func given(t *testing.T, msgs ...proto.Message) definition.State {
	t.Helper()
	var s definition.State
	for i, m := range msgs {
		if err := s.Apply(&events.Envelope{Version: uint64(i + 1), Type: string(m.ProtoReflect().Descriptor().FullName()), RecordedAt: t0}, m); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

var steps = []workflow.Step{{ID: "a", Capability: "code"}, {ID: "b", DependsOn: []string{"a"}}}

func saved(version uint32, description string, st ...workflow.Step) *hivev1.DefinitionSaved {
	m := &hivev1.DefinitionSaved{DefinitionId: definition.IDFor("release"), Name: "release", Version: version, Description: description, AtUnixNano: t0.UnixNano()}
	for _, s := range st {
		m.Steps = append(m.Steps, s.Proto())
	}
	return m
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name    string
		given   []proto.Message
		when    any
		then    []proto.Message
		wantErr error
	}{
		{name: "the first save is version 1", when: definition.Save{Name: "release", Steps: steps, At: t0}, then: []proto.Message{saved(1, "", steps...)}},
		{
			name: "the same steps again change nothing", given: []proto.Message{saved(1, "", steps...)},
			when: definition.Save{Name: "release", Steps: steps, At: t0},
		},
		{
			name: "other steps are the next version", given: []proto.Message{saved(1, "", steps...)},
			when: definition.Save{Name: "release", Description: "now with c", Steps: append(steps[:2:2], workflow.Step{ID: "c"}), At: t0},
			then: []proto.Message{saved(2, "now with c", append(steps[:2:2], workflow.Step{ID: "c"})...)},
		},
		{name: "no steps", when: definition.Save{Name: "release", At: t0}, wantErr: decision.ErrInvalid},
		{name: "no name", when: definition.Save{Steps: steps, At: t0}, wantErr: decision.ErrInvalid},
		{
			name: "a cycle", when: definition.Save{Name: "c", Steps: []workflow.Step{{ID: "a", DependsOn: []string{"a"}}}, At: t0},
			wantErr: decision.ErrInvalid,
		},
		{name: "another command", when: struct{}{}, wantErr: decision.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := given(t, tc.given...).Decide(tc.when)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("err = %v, want %v", err, tc.wantErr)
			}
			if len(got) != len(tc.then) {
				t.Fatalf("decided %v, want %v", got, tc.then)
			}
			for i := range got {
				if !proto.Equal(got[i], tc.then[i]) {
					t.Errorf("event %d = %v, want %v", i, got[i], tc.then[i])
				}
			}
		})
	}
}

func TestLatest(t *testing.T) {
	s := given(t, saved(1, "", steps...), saved(2, "", steps[0]))
	if v, err := s.Latest(0); err != nil || v.Version != 2 || len(v.Steps) != 1 {
		t.Fatalf("Latest(0) = %+v, %v", v, err)
	}
	if v, err := s.Latest(1); err != nil || len(v.Steps) != 2 {
		t.Fatalf("Latest(1) = %+v, %v", v, err)
	}
	if _, err := s.Latest(3); !errors.Is(err, decision.ErrNotFound) {
		t.Fatalf("Latest(3): %v", err)
	}
	var none definition.State
	if _, err := none.Latest(0); !errors.Is(err, definition.ErrNotFound) {
		t.Fatalf("Latest of nothing: %v", err)
	}
}
