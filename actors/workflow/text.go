package workflow

import (
	"strings"
	"unicode/utf8"
)

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
