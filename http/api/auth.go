package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"hive/actors/token"
	"hive/projections"
)

// Authentication: every /v1 request carries `Authorization: Bearer <token>`
// (see token.Mint for its shape). The token is looked up in the auth index
// by the id it contains, its secret checked against the stored hash, and
// the request runs as the token's Principal, rate-limited per token. Then
// the route's access rule (access.go) decides whether the role may call it.
// Before all that, a client address whose requests keep failing
// authentication is refused (clientLimits).

// TokensView is the auth index.
type TokensView interface {
	// Lookup returns the token with id, revoked or not, and whether there is one.
	Lookup(id string) (projections.Token, bool)
	// List returns every token, in creation order.
	List() []projections.Token
	// Watch calls ended, without blocking, once the token id can no longer
	// be used, at once if it already cannot; stop forgets the watch.
	Watch(id string, ended func()) (stop func())
	// Checkpoint is the position of the last event the index applied.
	Checkpoint() uint64
}

// AuthConfig configures authentication.
type AuthConfig struct {
	// RateLimit is how many requests per second each token may make on
	// average; 0 is no limit.
	RateLimit float64
	// RateBurst is how many requests a token may make at once; 0 is
	// RateLimit rounded up.
	RateBurst int
	// Metrics puts /metrics behind a token (of any role).
	Metrics bool
	// FailureLimit is how many requests that fail authentication each
	// client address may make per second on average; once its burst is
	// spent, the address's requests are refused (429) before any token is
	// looked at (see clientLimits). 0 is no limit.
	FailureLimit float64
	// FailureBurst is how many failing requests an address may make at
	// once; 0 is FailureLimit rounded up.
	FailureBurst int
	// FailureClients bounds how many addresses are tracked at once; 0 is
	// DefaultFailureClients.
	FailureClients int
}

// DefaultFailureClients is how many client addresses the failure limit
// tracks by default: about 100 bytes each.
const DefaultFailureClients = 65536

func (c *AuthConfig) setDefaults() {
	if c.RateLimit > 0 && c.RateBurst == 0 {
		c.RateBurst = int(math.Ceil(c.RateLimit))
	}
	if c.FailureLimit > 0 && c.FailureBurst == 0 {
		c.FailureBurst = int(math.Ceil(c.FailureLimit))
	}
	if c.FailureClients == 0 {
		c.FailureClients = DefaultFailureClients
	}
}

// Validate reports every invalid setting.
func (c AuthConfig) Validate() error {
	var errs []error
	if c.RateLimit < 0 || math.IsNaN(c.RateLimit) {
		errs = append(errs, errors.New("api: Auth.RateLimit must not be negative"))
	}
	if c.RateBurst < 0 {
		errs = append(errs, errors.New("api: Auth.RateBurst must not be negative"))
	}
	if c.FailureLimit < 0 || math.IsNaN(c.FailureLimit) || math.IsInf(c.FailureLimit, 0) {
		errs = append(errs, errors.New("api: Auth.FailureLimit must be a non-negative number"))
	}
	if c.FailureBurst < 0 {
		errs = append(errs, errors.New("api: Auth.FailureBurst must not be negative"))
	}
	if c.FailureClients < 0 {
		errs = append(errs, errors.New("api: Auth.FailureClients must not be negative"))
	}
	return errors.Join(errs...)
}

// unauthenticatedError: the request has no valid token (401).
type unauthenticatedError struct{ reason string }

func (e *unauthenticatedError) Error() string { return e.reason }

// forbiddenError: the token's role may not do this (403).
type forbiddenError struct {
	need   []token.Role
	detail string
}

func (e *forbiddenError) Error() string { return e.detail }

// rateLimitedError: the token, or the client address, made too many
// requests (429).
type rateLimitedError struct {
	retryAfter time.Duration
	// which requests were too many, e.g. "with this token".
	which string
}

func (e *rateLimitedError) Error() string {
	return fmt.Sprintf("too many requests %s; retry in %d s", e.which, retryAfterSeconds(e.retryAfter))
}

// errAuthIndexBehind: a token was not found while the auth index is still
// catching up with the log (after a start), so it may yet be valid.
var errAuthIndexBehind = errors.New("the token index is catching up with the log; retry")

// authenticate finds the request's principal from its bearer token, or
// refuses the request.
func (s *Server) authenticate(c *gin.Context) {
	now := time.Now()
	client, ok := clientOf(c.Request.RemoteAddr)
	if ok {
		if wait, refused := s.clients.refused(client, now); refused {
			s.fail(c, &rateLimitedError{retryAfter: wait, which: "that failed authentication from this address"})
			return
		}
	}
	p, err := s.principalFor(c.GetHeader("Authorization"))
	if _, failed := errors.AsType[*unauthenticatedError](err); failed && ok {
		s.clients.failed(client, now)
	}
	if err == nil {
		err = s.limits.take(p.ID, now)
	}
	if err != nil {
		s.fail(c, err)
		return
	}
	c.Set(principalKey, p)
	c.Next()
}

func (s *Server) principalFor(header string) (Principal, error) {
	scheme, bearer, _ := strings.Cut(header, " ")
	if header == "" {
		return Principal{}, &unauthenticatedError{"this request needs a token: Authorization: Bearer <token>"}
	}
	if !strings.EqualFold(scheme, "Bearer") {
		return Principal{}, &unauthenticatedError{"the Authorization header must be Bearer <token>"}
	}
	id, secret, ok := token.Parse(strings.TrimSpace(bearer))
	if !ok {
		return Principal{}, &unauthenticatedError{"the token is not a Hive token"}
	}
	t, found := s.tokens.Lookup(id)
	if !found && s.read.Ready() != nil {
		return Principal{}, errAuthIndexBehind
	}
	if !found || !token.Verify(t.Hash, secret) {
		return Principal{}, &unauthenticatedError{"the token is not valid"}
	}
	if t.Revoked {
		return Principal{}, revokedError(t.Reason)
	}
	return Principal{ID: "token:" + t.ID, Role: t.Role, AgentID: t.AgentID, tokenID: t.ID}, nil
}

// guardMetrics authenticates requests for /metrics when Auth.Metrics is set.
func (s *Server) guardMetrics(c *gin.Context) {
	if s.cfg.Auth.Metrics {
		s.authenticate(c)
	}
}

// authorize applies the route's access rule to the request's principal.
func (s *Server) authorize(c *gin.Context) {
	route := c.Request.Method + " " + c.FullPath()
	if err := access[route].check(c, route, principalOf(c), s.cfg.MaxBodyBytes); err != nil {
		s.fail(c, err)
		return
	}
	c.Next()
}

// limiters are the rate limiters of the tokens that made requests.
type limiters struct {
	limit rate.Limit
	burst int
	mu    sync.Mutex
	byID  map[string]*rate.Limiter
}

func newLimiters(c AuthConfig) *limiters {
	return &limiters{limit: rate.Limit(c.RateLimit), burst: c.RateBurst, byID: map[string]*rate.Limiter{}}
}

// take takes one request from the bucket of the principal id, or says how
// long to wait for one.
func (l *limiters) take(id string, now time.Time) error {
	if l.limit == 0 {
		return nil
	}
	l.mu.Lock()
	lim, ok := l.byID[id]
	if !ok {
		lim = rate.NewLimiter(l.limit, l.burst)
		l.byID[id] = lim
	}
	l.mu.Unlock()
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return &rateLimitedError{retryAfter: time.Second, which: "with this token"}
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return &rateLimitedError{retryAfter: d, which: "with this token"}
	}
	return nil
}

// retryAfterSeconds is d in whole seconds, rounded up, at least 1.
func retryAfterSeconds(d time.Duration) int {
	return max(1, int(math.Ceil(d.Seconds())))
}

// bodyAgent returns the agent_id of the request's JSON body, leaving the
// body to be read again, and whether the body could be read as an object.
// It decodes as decodeJSON does, so that the handler sees the same agent.
func bodyAgent(c *gin.Context, maxBody int64) (string, bool) {
	raw, err := io.ReadAll(io.LimitReader(c.Request.Body, maxBody+1))
	c.Request.Body = io.NopCloser(io.MultiReader(bytes.NewReader(raw), c.Request.Body))
	if err != nil {
		return "", false
	}
	var v struct {
		AgentID string `json:"agent_id"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return "", false
	}
	return v.AgentID, true
}
