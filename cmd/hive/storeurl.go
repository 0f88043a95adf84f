package main

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// backend is a kind of event store that --store can name.
type backend int

const (
	// embedded is the pebble store in the data dir: no --store.
	embedded backend = iota
	// postgres is a PostgreSQL database (events/pgstore).
	postgres
	// eventStoreDB is an EventStoreDB or KurrentDB server or cluster
	// (events/esdbstore).
	eventStoreDB
)

// String names the backend for people.
func (b backend) String() string {
	switch b {
	case postgres:
		return "PostgreSQL"
	case eventStoreDB:
		return "EventStoreDB"
	}
	return "the embedded store"
}

// storeSchemes maps each scheme --store takes to its backend.
var storeSchemes = map[string]backend{
	"postgres":           postgres,
	"postgresql":         postgres,
	"esdb":               eventStoreDB,
	"esdb+discover":      eventStoreDB,
	"kurrentdb":          eventStoreDB,
	"kurrentdb+discover": eventStoreDB,
}

// storeSchemesText lists the schemes --store takes, for messages and help.
const storeSchemesText = "postgres:// or postgresql:// (PostgreSQL), esdb://, esdb+discover://, kurrentdb:// or kurrentdb+discover:// (EventStoreDB, KurrentDB)"

// redactedPassword stands for a password in what Hive shows of a URL.
const redactedPassword = "xxxxx"

// storeURL is the value of --store (or HIVE_STORE): which event store to
// use. It is never shown as given, for it may hold a password: String is
// the URL with its secrets replaced.
type storeURL struct {
	raw     string
	backend backend
	secrets []string
}

// parseStoreURL checks raw, a --store value, and returns which store it
// names: the embedded one for "". A malformed URL or an unknown scheme is
// refused with one line naming the part that is wrong, the URL shown
// without its password.
func parseStoreURL(raw string) (storeURL, error) {
	if raw == "" {
		return storeURL{}, nil
	}
	s := storeURL{raw: raw, secrets: urlSecrets(raw)}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok || scheme == "" {
		// Not shown: what it holds, and so its secrets, is anyone's guess.
		return s, fmt.Errorf("--store: not a URL (scheme://...): want %s", storeSchemesText)
	}
	b, known := storeSchemes[strings.ToLower(scheme)]
	if !known {
		return s, fmt.Errorf("--store %s: unknown scheme %q: want %s, or no --store for the embedded store in --data-dir", s, scheme, storeSchemesText)
	}
	s.backend = b
	if b == eventStoreDB {
		// Several hosts (host1:2113,host2:2113) are not one URL host:
		// the client parses these URLs itself.
		host := strings.TrimPrefix(strings.TrimPrefix(rest, userinfo(rest)), "@")
		if end := strings.IndexAny(host, "/?#"); end >= 0 {
			host = host[:end]
		}
		if host == "" {
			return s, fmt.Errorf("--store %s: no host", s)
		}
		return s, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return s, s.hide(fmt.Errorf("--store %s: malformed URL: %s", s, urlProblem(err)))
	}
	if u.Opaque != "" {
		return s, fmt.Errorf("--store %s: malformed URL: want %s://host/database", s, scheme)
	}
	return s, nil
}

// urlProblem is what url.Parse found wrong, without the URL it repeats.
func urlProblem(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return "cannot be parsed"
}

// String returns the URL with its password and the values of its query
// parameters naming a password replaced, and whatever else holds a
// secret (a malformed URL's).
func (s storeURL) String() string {
	if s.raw == "" {
		return "(the embedded store)"
	}
	scheme, rest, ok := strings.Cut(s.raw, "://")
	if !ok {
		return redact(s.raw, s.secrets)
	}
	ui := userinfo(rest)
	if user, _, ok := strings.Cut(ui, ":"); ok {
		rest = user + ":" + redactedPassword + rest[len(ui):]
	}
	if before, query, ok := strings.Cut(rest, "?"); ok {
		params := strings.Split(query, "&")
		for i, kv := range params {
			if k, _, _ := strings.Cut(kv, "="); strings.Contains(strings.ToLower(k), "password") {
				params[i] = k + "=" + redactedPassword
			}
		}
		rest = before + "?" + strings.Join(params, "&")
	}
	shown := scheme + "://" + rest
	if _, err := url.Parse(s.raw); err != nil {
		// A malformed URL may hold a secret anywhere: hidden wherever it is.
		return redact(shown, s.secrets)
	}
	return shown
}

// userinfo returns the user information of rest, a URL after its
// "scheme://", as written: what precedes the last @ of the authority
// (which the first /, ? or # ends). In a malformed URL, whose password may
// hold any character, an @ after that point is taken as its end instead,
// so that more is hidden rather than less.
func userinfo(rest string) string {
	authority := rest
	if end := strings.IndexAny(rest, "/?#"); end >= 0 {
		authority = rest[:end]
	}
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		return authority[:at]
	}
	if _, err := url.Parse("x://" + rest); err != nil {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			return rest[:at]
		}
	}
	return ""
}

// urlSecrets returns the secrets raw holds: the password of its user
// information, and the values of its query parameters whose name says
// password (PostgreSQL's password and sslpassword), each as written and
// decoded.
func urlSecrets(raw string) []string {
	var out []string
	add := func(v string) {
		if v == "" {
			return
		}
		out = append(out, v)
		if dec, err := url.QueryUnescape(v); err == nil && dec != v {
			out = append(out, dec)
		}
		// A parser's complaint about a malformed URL may show the part
		// of a password before a / ? or #, taken for a port or a path.
		if cut := strings.IndexAny(v, "/?#"); cut > 0 {
			out = append(out, v[:cut])
		}
	}
	rest := raw
	if _, after, ok := strings.Cut(raw, "://"); ok {
		rest = after
	}
	if _, pw, ok := strings.Cut(userinfo(rest), ":"); ok {
		add(pw)
	}
	if _, query, ok := strings.Cut(rest, "?"); ok {
		query, _, _ = strings.Cut(query, "#")
		for _, kv := range strings.Split(query, "&") {
			k, v, _ := strings.Cut(kv, "=")
			if strings.Contains(strings.ToLower(k), "password") {
				add(v)
			}
		}
	}
	return out
}

// redact replaces every secret in text, the longest first, so that a
// secret holding another is hidden whole.
func redact(text string, secrets []string) string {
	for _, s := range longestFirst(secrets) {
		text = strings.ReplaceAll(text, s, redactedPassword)
	}
	return text
}

// longestFirst returns secrets sorted by length, longest first.
func longestFirst(secrets []string) []string {
	out := append([]string(nil), secrets...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && len(out[j]) > len(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// redactedError is an error about a store whose message may repeat its
// URL's secrets (a driver's message): Error hides them, and keeps the
// message on one line.
type redactedError struct {
	err     error
	secrets []string
}

func (e *redactedError) Error() string {
	return oneLine(redact(e.err.Error(), e.secrets))
}

// oneLine joins the lines of msg (a driver's error may list one line per
// address it tried) into one: "; " between them, a space after a colon,
// a line the same as the one before left out.
func oneLine(msg string) string {
	var b strings.Builder
	last := ""
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line == last {
			continue
		}
		switch {
		case b.Len() == 0:
		case strings.HasSuffix(last, ":"):
			b.WriteByte(' ')
		default:
			b.WriteString("; ")
		}
		b.WriteString(line)
		last = line
	}
	return b.String()
}

func (e *redactedError) Unwrap() error { return e.err }

// hide returns err with the secrets of s hidden from its message (nil for
// nil).
func (s storeURL) hide(err error) error {
	if err == nil {
		return nil
	}
	return &redactedError{err: err, secrets: s.secrets}
}
