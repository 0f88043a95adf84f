package swarm

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"hive/actors/decision"
)

// Ranges of the values commands carry; their sizes are bounded by the
// limits in package decision.
const (
	MaxConcurrency = 1024
	// MaxMembers bounds MinSize and MaxSize, and how many members a swarm
	// without a MaxSize admits.
	MaxMembers  = 10_000
	MaxPriority = 9
	MaxAttempts = 100
	// MaxTimeout bounds a task's timeout.
	MaxTimeout = 7 * 24 * time.Hour
	// MaxRetryWait bounds the wait before a retry, and so Backoff.
	MaxRetryWait = 10 * time.Minute
	// MaxWeight bounds each of the Weights.
	MaxWeight = 1000
)

// isUUID reports whether s is a UUID in canonical form.
func isUUID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && u.String() == s
}

func checkUUID(f *decision.Fields, field, s string, required bool) {
	switch {
	case s == "" && !required:
	case s == "":
		f.Add(field, "is required")
	case !isUUID(s):
		f.Add(field, decision.Quote(s)+" is not a UUID")
	}
}

// checkJSON checks an optional JSON value of at most decision.MaxJSONBytes.
func checkJSON(f *decision.Fields, field string, b []byte) {
	switch {
	case len(b) > decision.MaxJSONBytes:
		f.Add(field, fmt.Sprintf("must be at most %d bytes", decision.MaxJSONBytes))
	case len(b) > 0 && !json.Valid(b):
		f.Add(field, "must be valid JSON")
	}
}

// checkAddedSteps refuses a JSON array of more than decision.MaxSteps steps
// to add to a run. The run checks the steps themselves, and the size of the
// run they would make; whatever is not an array is left for it to refuse.
func checkAddedSteps(f *decision.Fields, b []byte) {
	var steps []json.RawMessage
	if len(b) == 0 || len(b) > decision.MaxJSONBytes || json.Unmarshal(b, &steps) != nil {
		return
	}
	if len(steps) > decision.MaxSteps {
		f.Add("add_steps", fmt.Sprintf("a run has at most %d steps, not %d added ones", decision.MaxSteps, len(steps)))
	}
}

func checkAt(f *decision.Fields, field string, at time.Time) {
	if at.IsZero() {
		f.Add(field, "is required")
	}
}

func checkReason(f *decision.Fields, reason string) {
	f.Text("reason", reason, decision.MaxReasonLength, true)
}
