package workflow

import (
	"slices"
	"time"

	hivev1 "hive/proto/hive/v1"
)

// MaxTimeline is how many of a run's newest timeline entries it keeps.
const MaxTimeline = 1000

// TimelineEntry is one notable happening of a run: everything but the
// routine progress of steps (dispatched, first assignment, completed), which
// each step's timings show.
type TimelineEntry struct {
	At time.Time `json:"at"`
	// Kind is the snake_case name of the event, e.g. "step_failed".
	Kind    string `json:"kind"`
	StepID  string `json:"step_id,omitempty"`
	By      string `json:"by,omitempty"`
	Message string `json:"message"`
}

// timeline keeps the newest MaxTimeline entries. It holds up to twice as
// many and trims them in one go, so that adding one costs O(1) amortized.
type timeline struct {
	entries []TimelineEntry
	dropped uint64
}

func (t *timeline) add(e TimelineEntry) {
	t.entries = append(t.entries, e)
	if len(t.entries) >= 2*MaxTimeline {
		extra := len(t.entries) - MaxTimeline
		t.entries = slices.Clone(t.entries[extra:])
		t.dropped += uint64(extra)
	}
}

// recent returns the newest MaxTimeline entries (shared, not copied) and
// how many older ones were dropped.
func (t *timeline) recent() ([]TimelineEntry, uint64) {
	if extra := len(t.entries) - MaxTimeline; extra > 0 {
		return t.entries[extra:], t.dropped + uint64(extra)
	}
	return t.entries, t.dropped
}

func (e TimelineEntry) proto() *hivev1.WorkflowTimelineEntry {
	return &hivev1.WorkflowTimelineEntry{AtUnixNano: unixNano(e.At), Kind: e.Kind, StepId: e.StepID, By: e.By, Message: e.Message}
}

func timelineEntryFromProto(p *hivev1.WorkflowTimelineEntry) TimelineEntry {
	return TimelineEntry{At: fromUnixNano(p.GetAtUnixNano()), Kind: p.GetKind(), StepID: p.GetStepId(), By: p.GetBy(), Message: p.GetMessage()}
}

// unixNano is t in Unix nanoseconds; the zero time is 0.
func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// fromUnixNano is the time of a stored field; 0 is the zero time.
func fromUnixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}
