package api

import (
	"time"

	"hive/actors/decision"
)

// parseDuration reads a Go duration such as "30s" or "1h30m" from field;
// "" is zero. An unreadable or negative one is added to f.
func parseDuration(f *decision.Fields, field, s string) time.Duration {
	if s == "" {
		return 0
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		f.Add(field, "must be a non-negative duration such as \"30s\" or \"5m\", not "+decision.Quote(s))
		return 0
	}
	return d
}
