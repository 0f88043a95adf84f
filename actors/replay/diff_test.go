package replay_test

import (
	"reflect"
	"testing"

	"hive/actors/replay"
)

func TestDiff(t *testing.T) {
	type member struct {
		ID   string `json:"id"`
		Load int    `json:"load"`
	}
	type state struct {
		Status  string            `json:"status"`
		Labels  map[string]string `json:"labels"`
		Members []member          `json:"members"`
	}
	many := make([]member, 11)
	moreMany := append(append([]member{}, many...), member{ID: "l"})
	moreMany[2].Load, moreMany[10].Load = 1, 1
	tests := []struct {
		name string
		a, b any
		want []replay.Change
	}{
		{"equal", state{Status: "x"}, state{Status: "x"}, nil},
		{"a scalar changed", state{Status: "forming"}, state{Status: "active"},
			[]replay.Change{{Path: "status", Op: replay.Changed, From: `"forming"`, To: `"active"`}}},
		{"a key added and one removed", state{Labels: map[string]string{"a": "1"}}, state{Labels: map[string]string{"b": "2"}},
			[]replay.Change{{Path: "labels.a", Op: replay.Removed, From: `"1"`}, {Path: "labels.b", Op: replay.Added, To: `"2"`}}},
		{"an empty object becomes one with a key", state{Labels: map[string]string{}}, state{Labels: map[string]string{"a": "1"}},
			[]replay.Change{{Path: "labels", Op: replay.Removed, From: "{}"}, {Path: "labels.a", Op: replay.Added, To: `"1"`}}},
		{"array elements in numeric order", state{Members: many}, state{Members: moreMany},
			[]replay.Change{
				{Path: "members[2].load", Op: replay.Changed, From: "0", To: "1"},
				{Path: "members[10].load", Op: replay.Changed, From: "0", To: "1"},
				{Path: "members[11].id", Op: replay.Added, To: `"l"`},
				{Path: "members[11].load", Op: replay.Added, To: "0"},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := replay.Diff(tt.a, tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Diff:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDiffUnencodable(t *testing.T) {
	if _, err := replay.Diff(func() {}, 1); err == nil {
		t.Fatal("Diff of a func succeeded")
	}
}

func TestDiffKeyedArrays(t *testing.T) {
	type task struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	a := []task{{"t1", "assigned"}, {"t2", "assigned"}}
	b := []task{{"t2", "completed"}, {"t3", "queued"}}
	got, err := replay.Diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	want := []replay.Change{
		{Path: "[id=t1]", Op: replay.Removed, From: `{"id":"t1","status":"assigned"}`},
		{Path: "[id=t2].status", Op: replay.Changed, From: `"assigned"`, To: `"completed"`},
		{Path: "[id=t3]", Op: replay.Added, To: `{"id":"t3","status":"queued"}`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Diff:\n got %+v\nwant %+v", got, want)
	}
}
