package swarm

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

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

func checkName(f *decision.Fields, name string) {
	switch {
	case strings.TrimSpace(name) == "":
		f.Add("name", "is required")
	case !utf8.ValidString(name):
		f.Add("name", "must be valid UTF-8")
	case utf8.RuneCountInString(name) > MaxNameLength:
		f.Add("name", fmt.Sprintf("must be at most %d characters", MaxNameLength))
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		f.Add("name", "must not contain control characters")
	}
}

// checkToken checks a capability: 1 to max characters of ASCII letters,
// digits, '.', '_', '-' and '/', as agents' capabilities are.
func checkToken(f *decision.Fields, field, s string, max int) {
	if s == "" || len(s) > max {
		f.Add(field, fmt.Sprintf("must be 1 to %d characters", max))
		return
	}
	for _, r := range s {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-/", r))) {
			f.Add(field, fmt.Sprintf("%q: only ASCII letters, digits and . _ - / are allowed", s))
			return
		}
	}
}

// checkText checks free text: valid UTF-8 of at most max characters,
// without control characters unless multiline.
func checkText(f *decision.Fields, field, s string, max int, multiline bool) {
	bad := func(r rune) bool { return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) }
	switch {
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		f.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(s, bad) >= 0:
		f.Add(field, "must not contain control characters")
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
	checkText(f, "reason", reason, MaxReasonLength, true)
}
