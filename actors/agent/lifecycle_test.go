package agent_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/agent"
	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

var (
	t0      = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	timeout = 30 * time.Second
	id      = agent.IDFor("coder")
)

func ns(t time.Time) int64 { return t.UnixNano() }

func registeredAt(at time.Time) *hivev1.AgentRegistered {
	return &hivev1.AgentRegistered{AgentId: id, Name: "coder", MaxConcurrency: 1, DeadlineUnixNano: ns(at.Add(timeout))}
}

func TestLifecycleDecisions(t *testing.T) {
	lost := &hivev1.AgentLost{AgentId: id, DeadlineUnixNano: ns(t0.Add(timeout))}
	tests := []struct {
		name    string
		given   []proto.Message
		when    any
		then    []proto.Message
		wantErr error
	}{
		{
			name: "registration sets the first deadline",
			when: agent.Register{Name: "coder", At: t0, HeartbeatTimeout: timeout},
			then: []proto.Message{registeredAt(t0)},
		},
		{
			name:  "heartbeat with more than half the timeout left records nothing",
			given: []proto.Message{registeredAt(t0)},
			when:  agent.Heartbeat{At: t0.Add(10 * time.Second), HeartbeatTimeout: timeout},
		},
		{
			name:  "heartbeat with less than half the timeout left extends the deadline",
			given: []proto.Message{registeredAt(t0)},
			when:  agent.Heartbeat{At: t0.Add(20 * time.Second), HeartbeatTimeout: timeout},
			then:  []proto.Message{&hivev1.AgentHeartbeatExtended{AgentId: id, DeadlineUnixNano: ns(t0.Add(50 * time.Second))}},
		},
		{
			name:  "liveness check before the deadline decides nothing",
			given: []proto.Message{registeredAt(t0)},
			when:  agent.CheckLiveness{Now: t0.Add(timeout - time.Nanosecond)},
		},
		{
			name:  "liveness check at the deadline decides the agent is lost",
			given: []proto.Message{registeredAt(t0)},
			when:  agent.CheckLiveness{Now: t0.Add(timeout)},
			then:  []proto.Message{lost},
		},
		{
			name:  "liveness check of a lost agent decides nothing more",
			given: []proto.Message{registeredAt(t0), lost},
			when:  agent.CheckLiveness{Now: t0.Add(time.Hour)},
		},
		{
			name:  "heartbeat of a lost agent recovers it",
			given: []proto.Message{registeredAt(t0), lost},
			when:  agent.Heartbeat{At: t0.Add(time.Minute), HeartbeatTimeout: timeout},
			then:  []proto.Message{&hivev1.AgentRecovered{AgentId: id, DeadlineUnixNano: ns(t0.Add(time.Minute + timeout))}},
		},
		{
			name:    "heartbeat of an unknown agent",
			when:    agent.Heartbeat{At: t0, HeartbeatTimeout: timeout},
			wantErr: agent.ErrNotRegistered,
		},
		{
			name:  "drain",
			given: []proto.Message{registeredAt(t0)},
			when:  agent.Drain{Reason: "maintenance"},
			then:  []proto.Message{&hivev1.AgentDraining{AgentId: id, Reason: "maintenance"}},
		},
		{
			name:  "drain twice decides once",
			given: []proto.Message{registeredAt(t0), &hivev1.AgentDraining{AgentId: id}},
			when:  agent.Drain{},
		},
		{
			name:    "drain with a reason too long",
			given:   []proto.Message{registeredAt(t0)},
			when:    agent.Drain{Reason: strings.Repeat("r", decision.MaxReasonLength+1)},
			wantErr: decision.ErrInvalid,
		},
		{
			name:  "deregister",
			given: []proto.Message{registeredAt(t0)},
			when:  agent.Deregister{Reason: "retired"},
			then:  []proto.Message{&hivev1.AgentDeregistered{AgentId: id, Reason: "retired"}},
		},
		{
			name:  "deregister twice decides once",
			given: []proto.Message{registeredAt(t0), &hivev1.AgentDeregistered{AgentId: id}},
			when:  agent.Deregister{},
		},
		{
			name:    "deregister an unknown agent",
			when:    agent.Deregister{},
			wantErr: agent.ErrNotRegistered,
		},
		{
			name:    "heartbeat of a deregistered agent",
			given:   []proto.Message{registeredAt(t0), &hivev1.AgentDeregistered{AgentId: id}},
			when:    agent.Heartbeat{At: t0, HeartbeatTimeout: timeout},
			wantErr: agent.ErrDeregistered,
		},
		{
			name:    "drain a deregistered agent",
			given:   []proto.Message{registeredAt(t0), &hivev1.AgentDeregistered{AgentId: id}},
			when:    agent.Drain{},
			wantErr: decision.ErrConflict,
		},
		{
			name:  "a deregistered name may register again",
			given: []proto.Message{registeredAt(t0), &hivev1.AgentDeregistered{AgentId: id}},
			when:  agent.Register{Name: "coder", At: t0.Add(time.Hour), HeartbeatTimeout: timeout},
			then:  []proto.Message{registeredAt(t0.Add(time.Hour))},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := given(t, tc.given...)
			got, err := s.Decide(tc.when)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || got != nil {
					t.Fatalf("Decide = %v, %v; want error %v", got, err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.then) {
				t.Fatalf("decided %v, want %v", got, tc.then)
			}
			for i := range got {
				if !proto.Equal(got[i], tc.then[i]) {
					if l, ok := got[i].(*hivev1.AgentLost); ok && l.GetReason() != "" {
						l.Reason = "" // the reason is for people; checked below
						if proto.Equal(l, tc.then[i]) {
							continue
						}
					}
					t.Errorf("event %d = %v, want %v", i, got[i], tc.then[i])
				}
			}
		})
	}
}

func TestStatusFollowsTheLifecycle(t *testing.T) {
	steps := []struct {
		event proto.Message
		want  agent.Status
	}{
		{registeredAt(t0), agent.StatusIdle},
		{&hivev1.AgentDraining{AgentId: id}, agent.StatusDraining},
		{&hivev1.AgentLost{AgentId: id}, agent.StatusLost},
		{&hivev1.AgentRecovered{AgentId: id, DeadlineUnixNano: ns(t0.Add(time.Hour))}, agent.StatusDraining},
		{&hivev1.AgentDeregistered{AgentId: id}, agent.StatusGone},
	}
	var history []proto.Message
	for _, st := range steps {
		history = append(history, st.event)
		if s := given(t, history...); s.Status != st.want {
			t.Fatalf("after %T: status %q, want %q", st.event, s.Status, st.want)
		}
	}
	if s := given(t, history[:4]...); !s.Deadline.Equal(t0.Add(time.Hour)) {
		t.Errorf("deadline after recovery = %v", s.Deadline)
	}
}

func TestHeartbeatChanges(t *testing.T) {
	hb := agent.Heartbeat{At: t0, HeartbeatTimeout: timeout}
	for _, c := range []struct {
		name     string
		deadline time.Time
		lost     bool
		want     bool
	}{
		{"more than half the timeout left", t0.Add(16 * time.Second), false, false},
		{"exactly half left", t0.Add(15 * time.Second), false, false},
		{"less than half left", t0.Add(14 * time.Second), false, true},
		{"deadline passed", t0.Add(-time.Second), false, true},
		{"lost", t0.Add(-time.Second), true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := hb.Changes(c.deadline, c.lost); got != c.want {
				t.Fatalf("Changes = %v, want %v", got, c.want)
			}
			// It says what the agent decides.
			evs := []proto.Message{&hivev1.AgentRegistered{AgentId: id, Name: "coder", MaxConcurrency: 1, DeadlineUnixNano: ns(c.deadline)}}
			if c.lost {
				evs = append(evs, &hivev1.AgentLost{AgentId: id, DeadlineUnixNano: ns(c.deadline)})
			}
			s := given(t, evs...)
			decided, err := s.Decide(hb)
			if err != nil || (len(decided) > 0) != c.want {
				t.Fatalf("the agent decided %v (%v), Changes says %v", decided, err, c.want)
			}
		})
	}
}
