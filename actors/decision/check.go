package decision

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Checks of the kinds of field every entity's commands have. Each adds the
// field, with the reason, when the value is not acceptable.

// Name checks a name people give (an agent's, a swarm's): required, valid
// UTF-8 of at most max characters, without control characters.
func (f *Fields) Name(field, s string, max int) {
	switch {
	case strings.TrimSpace(s) == "":
		f.Add(field, "is required")
	case !utf8.ValidString(s):
		f.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		f.Add(field, fmt.Sprintf("must be at most %d characters", max))
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		f.Add(field, "must not contain control characters")
	}
}

// Token checks a capability or a label key: 1 to max ASCII letters,
// digits, '.', '_', '-' and '/'.
func (f *Fields) Token(field, s string, max int) {
	if s == "" || len(s) > max {
		f.Add(field, fmt.Sprintf("must be 1 to %d characters", max))
		return
	}
	for _, r := range s {
		if !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("._-/", r))) {
			f.Add(field, Quote(s)+": only ASCII letters, digits and . _ - / are allowed")
			return
		}
	}
}

// Capabilities checks a list of capabilities: at most MaxCapabilities
// (a longer list is reported alone), each a Token of at most
// MaxCapabilityLength bytes, none twice.
func (f *Fields) Capabilities(field string, capabilities []string) {
	if len(capabilities) > MaxCapabilities {
		f.Add(field, fmt.Sprintf("at most %d capabilities, not %d", MaxCapabilities, len(capabilities)))
		return
	}
	seen := make(map[string]bool, len(capabilities))
	for i, c := range capabilities {
		item := fmt.Sprintf("%s[%d]", field, i)
		f.Token(item, c, MaxCapabilityLength)
		if seen[c] {
			f.Add(item, fmt.Sprintf("duplicate capability %s", Quote(c)))
		}
		seen[c] = true
	}
}

// Text checks free text: valid UTF-8 of at most max characters, without
// control characters other than, if multiline, newlines and tabs.
func (f *Fields) Text(field, s string, max int, multiline bool) {
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
