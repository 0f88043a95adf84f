// Package decision holds what the decision functions of every kind of entity
// share: the ways a decision rejects a command. The HTTP layer maps each to a
// status in one place; the runtime counts them as rejected, not failed.
package decision

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

var (
	// ErrInvalid: the command is malformed. The error is an *InvalidError
	// naming each bad field.
	ErrInvalid = errors.New("invalid command")
	// ErrConflict: the command contradicts the entity's state, e.g. a name
	// already taken.
	ErrConflict = errors.New("conflict")
	// ErrNotFound: the command needs an entity that does not exist.
	ErrNotFound = errors.New("not found")
)

// FieldError says why one field of a command is invalid. Field is the name
// clients use (the JSON name, with dots and indexes for nesting, e.g.
// "labels.team" or "capabilities[2]").
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// InvalidError lists every invalid field of a command.
type InvalidError struct {
	Fields []FieldError
}

// Error implements error.
func (e *InvalidError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + ": " + f.Reason
	}
	return fmt.Sprintf("%s: %s", ErrInvalid, strings.Join(parts, "; "))
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Is(target error) bool { return target == ErrInvalid }

// Fields collects field errors while a command is validated.
type Fields []FieldError

// Add records that field is invalid for reason.
func (f *Fields) Add(field, reason string) { *f = append(*f, FieldError{Field: field, Reason: reason}) }

// Err returns an *InvalidError of the collected fields, or nil if none.
func (f Fields) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &InvalidError{Fields: f}
}

// MaxQuoted bounds, in bytes, how much of a value a client sent a reason
// repeats (see Quote).
const MaxQuoted = 64

// Quote quotes a value a client sent, as %q does, for a reason to name it:
// at most MaxQuoted bytes of it (cut at a character's start), followed by
// "..." when there was more, so that an error never repeats a large value.
func Quote(s string) string {
	if len(s) <= MaxQuoted {
		return strconv.Quote(s)
	}
	cut := MaxQuoted
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return strconv.Quote(s[:cut]) + "..."
}
