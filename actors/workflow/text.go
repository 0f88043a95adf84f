package workflow

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"hive/actors/decision"
)

// checkText checks text given by a person: valid UTF-8 of at most max
// characters, without control characters other than newlines and tabs.
func checkText(f *decision.Fields, field, s string, max int) {
	switch {
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		f.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
		f.Add(field, "must not contain control characters")
	}
}

// truncate makes text reported by a machine (a failure's reason, an agent's
// id) valid UTF-8 of at most max characters, so that it is recorded rather
// than refused: a refused result would leave its step waiting forever.
func truncate(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return string(r[:max-1]) + "…"
}

// verbBy is "<verb> by <by>", or the verb alone if by is unknown.
func verbBy(verb, by string) string {
	if by == "" {
		return verb
	}
	return verb + " by " + by
}
