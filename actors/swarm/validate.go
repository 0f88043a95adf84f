package swarm

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"hive/actors/decision"
)

// Limits on what commands carry.
const (
	MaxNameLength       = 200
	MaxCapabilities     = 64
	MaxCapabilityLength = 64
	MaxConcurrency      = 1024
	// MaxMembers bounds MinSize and MaxSize.
	MaxMembers = 10_000
	// MaxJSONBytes bounds a task's input, output and added steps.
	MaxJSONBytes = 256 << 10
	// MaxKeyLength bounds a task's key, run id and step id.
	MaxKeyLength    = 512
	MaxReasonLength = 1000
	MaxPriority     = 9
	MaxAttempts     = 100
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
		f.Add(field, fmt.Sprintf("%q is not a UUID", s))
	}
}

// checkJSON checks an optional JSON value of at most MaxJSONBytes.
func checkJSON(f *decision.Fields, field string, b []byte) {
	switch {
	case len(b) > MaxJSONBytes:
		f.Add(field, fmt.Sprintf("must be at most %d bytes", MaxJSONBytes))
	case len(b) > 0 && !json.Valid(b):
		f.Add(field, "must be valid JSON")
	}
}

func checkAt(f *decision.Fields, field string, at time.Time) {
	if at.IsZero() {
		f.Add(field, "is required")
	}
}

func checkReason(f *decision.Fields, reason string) {
	f.Text("reason", reason, MaxReasonLength, true)
}
