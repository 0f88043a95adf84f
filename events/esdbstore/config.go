package esdbstore

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"

	"hive/events"
)

// Defaults applied by Open to zero Config fields.
const (
	// DefaultConnectTimeout is the default Config.ConnectTimeout.
	DefaultConnectTimeout = 10 * time.Second
	// DefaultReplayWindow is the default Config.ReplayWindow.
	DefaultReplayWindow = 16
	// DefaultMaxAppendSize is the default Config.MaxAppendSize:
	// EventStoreDB's own default.
	DefaultMaxAppendSize = 1 << 20
)

// maxReplayWindow bounds Config.ReplayWindow: every append reads that many
// of its stream's newest events.
const maxReplayWindow = 1024

// Schemes lists the URL schemes Open accepts: EventStoreDB's and
// KurrentDB's, each with a "+discover" form that finds the cluster's
// leader through gossip (DNS discovery) instead of naming the node.
var Schemes = []string{"esdb", "esdb+discover", "kurrentdb", "kurrentdb+discover"}

// Config configures a Store. The zero value of every field but URL means
// its default.
type Config struct {
	// URL is the connection string: esdb://[user:password@]host[:port][,host...][?settings],
	// or the same with esdb+discover://, kurrentdb:// or
	// kurrentdb+discover://. The settings are the client's own (tls=false,
	// tlsVerifyCert, nodePreference, maxDiscoverAttempts, ...); without a
	// port the client uses 2113.
	URL string
	// Logger receives the store's and the client's log lines (default: none).
	Logger *slog.Logger
	// MaxEventSize is the largest event accepted, in bytes, as measured by
	// events.ValidateAppend (default events.DefaultMaxEventSize).
	MaxEventSize int
	// MaxAppendSize is the server's MaxAppendSize setting: the most bytes
	// it accepts in one append, counting each event's data, metadata and
	// type, the type twice (default DefaultMaxAppendSize, the server's
	// default). A larger append or snapshot fails with
	// events.ErrInvalidArgument before it is sent: EventStoreDB refuses it
	// while the client is still sending, and the client then cannot say
	// why.
	MaxAppendSize int
	// ConnectTimeout bounds how long Open waits for the server to answer
	// (default DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// StreamPrefix, if set, is prepended to the name of every stream Hive
	// writes in EventStoreDB, and only streams with the prefix are Hive's:
	// several Hive deployments (or test runs) can then share a database.
	// It must not start with "$". Default: none; every stream whose name
	// does not start with "$" is Hive's.
	StreamPrefix string
	// ReplayWindow is how many of a stream's newest events an append reads
	// to recognise a repeated append expecting any version or an existing
	// stream (default DefaultReplayWindow, at most 1024); see the package
	// documentation on idempotency.
	ReplayWindow int
}

func (c *Config) setDefaults() {
	if c.MaxEventSize == 0 {
		c.MaxEventSize = events.DefaultMaxEventSize
	}
	if c.MaxAppendSize == 0 {
		c.MaxAppendSize = DefaultMaxAppendSize
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = DefaultConnectTimeout
	}
	if c.ReplayWindow == 0 {
		c.ReplayWindow = DefaultReplayWindow
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

// Validate reports every problem of c, joined; it is called by Open after
// applying defaults.
func (c *Config) Validate() error {
	var errs []error
	if _, err := c.clientConfig(); err != nil {
		errs = append(errs, err)
	}
	if c.MaxEventSize < 0 {
		errs = append(errs, fmt.Errorf("esdbstore: MaxEventSize %d is negative", c.MaxEventSize))
	}
	if c.MaxAppendSize < 0 {
		errs = append(errs, fmt.Errorf("esdbstore: MaxAppendSize %d is negative", c.MaxAppendSize))
	}
	if c.ConnectTimeout < 0 {
		errs = append(errs, fmt.Errorf("esdbstore: ConnectTimeout %v is negative", c.ConnectTimeout))
	}
	if isSystem(c.StreamPrefix) || !utf8.ValidString(c.StreamPrefix) {
		errs = append(errs, fmt.Errorf("esdbstore: StreamPrefix %q starts with \"$\" or is not valid UTF-8", c.StreamPrefix))
	}
	if c.ReplayWindow < 0 || c.ReplayWindow > maxReplayWindow {
		errs = append(errs, fmt.Errorf("esdbstore: ReplayWindow %d is outside 1 to %d", c.ReplayWindow, maxReplayWindow))
	}
	return errors.Join(errs...)
}

// clientConfig parses the URL into the client's configuration. Its errors
// never repeat the URL, which may hold a password.
func (c *Config) clientConfig() (*kurrentdb.Configuration, error) {
	if c.URL == "" {
		return nil, errors.New("esdbstore: the store URL is empty")
	}
	u, err := url.Parse(c.URL)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		// A URL naming several hosts is not a URL to net/url: the client
		// parses those itself, below.
		if !strings.Contains(c.URL, ",") {
			return nil, fmt.Errorf("esdbstore: the store URL is malformed: %v", err)
		}
	}
	if scheme := schemeOf(c.URL, u); !validScheme(scheme) {
		return nil, fmt.Errorf("esdbstore: the store URL's scheme %q is none of %s", scheme, strings.Join(Schemes, "://, ")+"://")
	}
	cfg, err := kurrentdb.ParseConnectionString(c.URL)
	if err != nil {
		return nil, fmt.Errorf("esdbstore: the store URL is malformed: %s", redact(err.Error(), c.URL))
	}
	return cfg, nil
}

// schemeOf returns the URL's scheme, from u if net/url parsed it.
func schemeOf(raw string, u *url.URL) string {
	if u != nil {
		return strings.ToLower(u.Scheme)
	}
	scheme, _, _ := strings.Cut(raw, "://")
	return strings.ToLower(scheme)
}

func validScheme(s string) bool {
	for _, ok := range Schemes {
		if s == ok {
			return true
		}
	}
	return false
}

// redact removes the password of the URL raw from msg, a message of the
// client's, which may quote the URL.
func redact(msg, raw string) string {
	_, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return msg
	}
	authority, _, _ := strings.Cut(rest, "/")
	authority, _, _ = strings.Cut(authority, "?")
	userinfo, _, ok := strings.Cut(authority, "@")
	if !ok {
		return msg
	}
	if _, pw, ok := strings.Cut(userinfo, ":"); ok && pw != "" {
		msg = strings.ReplaceAll(msg, pw, "xxxxx")
	}
	return msg
}
