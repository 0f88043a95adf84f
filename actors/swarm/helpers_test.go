package swarm_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/agent"
	"hive/actors/decision"
	"hive/actors/swarm"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

var (
	t0   = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	name = "builders"
	sid  = swarm.IDFor(name)
)

// at is t0 plus d.
func at(d time.Duration) time.Time { return t0.Add(d) }

func ns(t time.Time) int64 { return t.UnixNano() }

// ag is the id of test agent n.
func ag(n int) string { return agent.IDFor(fmt.Sprintf("agent-%d", n)) }

// tid is the id of the swarm's task seq.
func tid(seq uint64) string { return swarm.TaskID(sid, seq) }

// given rebuilds a swarm's state from events, as the runtime does.
func given(t testing.TB, evs ...proto.Message) swarm.State {
	t.Helper()
	var s swarm.State
	apply(t, &s, evs...)
	return s
}

// journal is a swarm's events in the order applied: the event of version v
// is journal[v-1].
type journal []proto.Message

// apply applies events to s and records them.
func (j *journal) apply(t testing.TB, s *swarm.State, evs ...proto.Message) {
	t.Helper()
	apply(t, s, evs...)
	*j = append(*j, evs...)
}

// recall hands r, restored from a snapshot, the events it recalls, as the
// runtime does after Restore.
func (j journal) recall(t testing.TB, r *swarm.State) {
	t.Helper()
	for v := r.RecallFrom(); v != 0 && v <= r.Version(); v++ {
		if err := r.Recall(envelopeAt(v, j[v-1]), j[v-1]); err != nil {
			t.Fatalf("recall version %d: %v", v, err)
		}
	}
	if r.RecallFrom() != 0 {
		t.Fatalf("recall not done: from %d", r.RecallFrom())
	}
}

// envelopeAt is the envelope of m at version v.
func envelopeAt(v uint64, m proto.Message) *events.Envelope {
	return &events.Envelope{Version: v, Type: string(m.ProtoReflect().Descriptor().FullName()), RecordedAt: t0}
}

// apply applies events to s after its version.
func apply(t testing.TB, s *swarm.State, evs ...proto.Message) {
	t.Helper()
	for _, m := range evs {
		env := &events.Envelope{Version: s.Version() + 1, Type: string(m.ProtoReflect().Descriptor().FullName()), RecordedAt: t0}
		if err := s.Apply(env, m); err != nil {
			t.Fatalf("apply %T: %v", m, err)
		}
	}
}

// decide decides c on s, checks that deciding changed nothing and decides
// the same again, and applies the events.
func decide(t testing.TB, s *swarm.State, c any) []proto.Message {
	t.Helper()
	got, err := decideOnly(t, s, c)
	if err != nil {
		t.Fatalf("Decide(%T): %v", c, err)
	}
	apply(t, s, got...)
	return got
}

func decideOnly(t testing.TB, s *swarm.State, c any) ([]proto.Message, error) {
	t.Helper()
	before := s.View()
	got, err := s.Decide(c)
	if after := s.View(); !reflect.DeepEqual(before, after) {
		t.Fatalf("Decide(%T) changed the state:\nbefore %+v\nafter  %+v", c, before, after)
	}
	again, err2 := s.Decide(c)
	if (err == nil) != (err2 == nil) || !equalEvents(got, again) {
		t.Fatalf("Decide(%T) is not deterministic: %v, %v / %v, %v", c, got, err, again, err2)
	}
	return got, err
}

func equalEvents(a, b []proto.Message) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// created is a SwarmCreated with default weights and no bounds.
func created(topology swarm.Topology) *hivev1.SwarmCreated {
	return &hivev1.SwarmCreated{
		SwarmId: sid, Name: name, Topology: string(topology), AtUnixNano: ns(t0), Budget: &hivev1.Budget{},
		Weights: &hivev1.SwarmWeights{Capability: 1, Load: 1, Success: 1, Speed: 1},
	}
}

func joined(n, maxConcurrency int, caps ...string) *hivev1.SwarmMemberJoined {
	return &hivev1.SwarmMemberJoined{SwarmId: sid, AgentId: ag(n), Capabilities: caps, MaxConcurrency: uint32(maxConcurrency), AtUnixNano: ns(t0)}
}

func queued(seq uint64, capability string) *hivev1.TaskQueued {
	return &hivev1.TaskQueued{SwarmId: sid, TaskId: tid(seq), Seq: seq, Capability: capability, MaxAttempts: 1, AtUnixNano: ns(t0)}
}

// assignedTo is the core of a TaskAssigned; cases compare only these
// fields (see brief).
func assignedTo(seq uint64, n int, attempt int32, when time.Time) *hivev1.TaskAssigned {
	return &hivev1.TaskAssigned{SwarmId: sid, TaskId: tid(seq), AgentId: ag(n), Attempt: attempt, AtUnixNano: ns(when)}
}

// brief strips what a TaskAssigned records to explain itself, which the
// topology and scoring tests check.
func brief(msgs []proto.Message) []proto.Message {
	out := make([]proto.Message, len(msgs))
	for i, m := range msgs {
		if a, ok := m.(*hivev1.TaskAssigned); ok {
			a = proto.CloneOf(a)
			a.Topology, a.Reason, a.Candidates, a.CandidatesOmitted, a.Weights = "", "", nil, 0, nil
			a.IneligibleFull, a.IneligibleIncapable, a.IneligibleUnavailable, a.IneligibleRole, a.IneligibleExcluded = 0, 0, 0, 0, 0
			m = a
		}
		out[i] = m
	}
	return out
}

// decisionCase is one given/when/then case.
type decisionCase struct {
	name    string
	given   []proto.Message
	when    any
	then    []proto.Message
	wantErr error
	// fields are the invalid fields a decision.ErrInvalid names.
	fields []string
	// msg is a part of the error's message.
	msg string
}

func runCases(t *testing.T, cases []decisionCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := given(t, tc.given...)
			got, err := decideOnly(t, &s, tc.when)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) || got != nil {
					t.Fatalf("Decide = %v, %v; want error %v", got, err, tc.wantErr)
				}
				checkFields(t, err, tc.fields)
				if !strings.Contains(err.Error(), tc.msg) {
					t.Errorf("error %q does not say %q", err, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			got = brief(got)
			if !equalEvents(got, tc.then) {
				t.Fatalf("decided\n%s\nwant\n%s", dump(got), dump(tc.then))
			}
			apply(t, &s, got...)
		})
	}
}

func dump(msgs []proto.Message) string {
	var b strings.Builder
	for _, m := range msgs {
		fmt.Fprintf(&b, "  %T %v\n", m, m)
	}
	return b.String()
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

// view is the state's View.
func view(s *swarm.State) swarm.View { return s.View().(swarm.View) }
