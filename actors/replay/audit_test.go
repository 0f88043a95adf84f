package replay_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"hive/actors"
	"hive/actors/replay"
	"hive/actors/replay/replaytest"
)

func TestAudit(t *testing.T) {
	store, h := history(t)
	r := replay.New(store, kinds)
	ds, err := r.Audit(context.Background(), swarmRef(h))
	if err != nil {
		t.Fatal(err)
	}
	byType := map[string][]replay.Decision{}
	for i, d := range ds {
		if d.Version != uint64(i+1) {
			t.Fatalf("decision %d has version %d", i, d.Version)
		}
		byType[d.Type] = append(byType[d.Type], d)
	}
	tests := []struct {
		typ, principal, correlation string
		whyHas                      string
	}{
		{"TaskAssigned", "token:ci", replaytest.Release, "candidate " + h.Agents["coder-1"] + " score 0.833"},
		{"ProposalDecided", "agent:" + h.Agents["planner-1"], "vote-1", "rule majority, quorum 0.5"},
		{"TaskAttemptFailed", "agent:" + h.Agents["coder-2"], replaytest.Release, "reason: tests failed"},
		{"TaskFailed", "agent:" + h.Agents["coder-1"], replaytest.Release, "reason: tests failed again"},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			d := byType[tt.typ][0]
			if d.Principal != tt.principal || d.CorrelationID != tt.correlation || d.CausationID == "" {
				t.Fatalf("%s caused by %q, %q, %q; want %q, %q and a causation", tt.typ, d.Principal, d.CorrelationID, d.CausationID, tt.principal, tt.correlation)
			}
			if !slices.ContainsFunc(d.Why, func(s string) bool { return strings.Contains(s, tt.whyHas) }) {
				t.Fatalf("%s why %q; want a line with %q", tt.typ, d.Why, tt.whyHas)
			}
		})
	}
	if _, err := r.Audit(context.Background(), actors.Ref{Kind: "swarm", ID: "nope"}); !errors.Is(err, replay.ErrNotFound) {
		t.Fatalf("Audit of an unknown swarm: %v, want ErrNotFound", err)
	}
}

func TestCausalTree(t *testing.T) {
	store, _ := history(t)
	r := replay.New(store, kinds)
	roots, err := r.CausalTree(context.Background(), replaytest.Release)
	if err != nil {
		t.Fatal(err)
	}
	// Three submissions, a completion and two failures: six commands.
	if len(roots) != 6 {
		t.Fatalf("%d roots, want 6 commands", len(roots))
	}
	for _, root := range roots {
		if root.Event != nil || root.Command == "" {
			t.Fatalf("root %+v is not a command", root)
		}
		for _, n := range root.Children {
			if n.Event.Type != "TaskAssigned" {
				continue
			}
			if len(n.Children) != 1 || n.Children[0].Event.Type != "AgentTaskStarted" || n.Children[0].Event.CausationID != n.Event.EventID {
				t.Fatalf("assignment %s caused %+v; want one AgentTaskStarted", n.Event.Summary, n.Children)
			}
		}
	}
	if _, err := r.CausalTree(context.Background(), "nope"); !errors.Is(err, replay.ErrNotFound) {
		t.Fatalf("CausalTree of an unknown correlation: %v, want ErrNotFound", err)
	}
}

func TestParseEntity(t *testing.T) {
	tests := []struct {
		in      string
		want    actors.Ref
		wantErr bool
	}{
		{"swarm/abc-def", actors.Ref{Kind: "swarm", ID: "abc-def"}, false},
		{"swarm-abc-def", actors.Ref{Kind: "swarm", ID: "abc-def"}, false},
		{"swarm", actors.Ref{}, true},
		{"/x", actors.Ref{}, true},
	}
	for _, tt := range tests {
		got, err := replay.ParseEntity(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Fatalf("ParseEntity(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
