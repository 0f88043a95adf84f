package replay_test

import (
	"context"
	"errors"
	"testing"

	"hive/actors/replay"
	"hive/events"
)

func TestParseOverrides(t *testing.T) {
	tests := []struct {
		in      string
		want    replay.Overrides
		wantErr bool
	}{
		{"capability=1,load=0.5", replay.Overrides{"capability": 1, "load": 0.5}, false},
		{" success=2 , speed=0", replay.Overrides{"success": 2, "speed": 0}, false},
		{"capacity=1", nil, true},
		{"load", nil, true},
		{"load=-1", nil, true},
		{"load=x", nil, true},
		{"load=1001", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := replay.ParseOverrides(tt.in)
			if tt.wantErr {
				if !errors.Is(err, events.ErrInvalidArgument) {
					t.Fatalf("ParseOverrides(%q) = %v, %v; want ErrInvalidArgument", tt.in, got, err)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("ParseOverrides(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Fatalf("ParseOverrides(%q)[%s] = %g, want %g", tt.in, k, got[k], v)
				}
			}
		})
	}
}

// TestWhatIf re-runs the history's four assignments. With the recorded
// weights every one comes out the same (the decision is pure and the
// replay faithful); without the weight on free capacity the second task
// goes to coder-1, the best fit, whom the recorded weights passed over
// because it was already busy.
func TestWhatIf(t *testing.T) {
	store, h := history(t)
	r := replay.New(store, kinds)
	tests := []struct {
		weights string
		differ  []string // the tasks whose assignment differs
	}{
		{"load=2", nil},
		{"capability=1,load=2,success=1,speed=0.5", nil},
		{"load=0", []string{h.Tasks[1]}},
		{"capability=5,load=0,success=0,speed=0", []string{h.Tasks[1]}},
		{"load=10", nil},
	}
	for _, tt := range tests {
		t.Run(tt.weights, func(t *testing.T) {
			o, err := replay.ParseOverrides(tt.weights)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := r.WhatIf(context.Background(), h.SwarmID, o)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Assignments != 4 || rep.Unreplayable != 0 || rep.Differ != len(tt.differ) {
				t.Fatalf("report %+v; want 4 assignments, all replayable, %d differing", rep, len(tt.differ))
			}
			for i, d := range rep.Divergences {
				if d.TaskID != tt.differ[i] || d.Recorded != h.Agents["coder-2"] || d.Alternative != h.Agents["coder-1"] ||
					d.AlternativeScore <= d.RecordedRescored {
					t.Fatalf("divergence %+v; want %s moved from coder-2 to coder-1, scoring higher", d, tt.differ[i])
				}
			}
		})
	}
}

func TestWhatIfUnknownSwarm(t *testing.T) {
	store, _ := history(t)
	r := replay.New(store, kinds)
	if _, err := r.WhatIf(context.Background(), "nope", replay.Overrides{}); !errors.Is(err, replay.ErrNotFound) {
		t.Fatalf("WhatIf of an unknown swarm: %v, want ErrNotFound", err)
	}
}
