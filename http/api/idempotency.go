package api

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"hive/actors/decision"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Idempotency keys. A command sent with `Idempotency-Key: K` is answered,
// the first time, as usual, and its response (unless a 5xx) is recorded as
// an event of its own stream; sent again by the same principal with the
// same method, path and body, within IdempotencyWindow, it gets the
// recorded response (with Idempotent-Replayed: true) and changes nothing.
// The same key with another request is 422. Requests with one key are
// handled one at a time.
//
// If Hive crashes after a command took effect but before its response was
// recorded, the retry runs the command again; Hive's commands are made so
// that running one again decides nothing or is refused as a conflict.
const (
	idempotencyHeader = "Idempotency-Key"
	replayedHeader    = "Idempotent-Replayed"
	maxKeyLength      = 255
)

// Records is where responses to keyed commands are kept: the event store.
type Records interface {
	ReadStream(ctx context.Context, stream string, from uint64, dir events.Direction, limit int) ([]events.Envelope, error)
	Append(ctx context.Context, stream string, expected events.ExpectedVersion, evs []events.Event) (events.AppendResult, error)
}

// keyLocks serializes the requests that carry the same key.
type keyLocks struct {
	mu    sync.Mutex
	locks map[string]*keyLock
}

type keyLock struct {
	sync.Mutex
	users int
}

func (k *keyLocks) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyLock{}
	}
	l := k.locks[key]
	if l == nil {
		l = &keyLock{}
		k.locks[key] = l
	}
	l.users++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		if l.users--; l.users == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}

// idempotent is the middleware of keyed commands.
func (s *Server) idempotent(c *gin.Context) {
	key := c.GetHeader(idempotencyHeader)
	if key == "" || c.Request.Method == http.MethodGet || c.Request.Method == http.MethodHead {
		c.Next()
		return
	}
	if len(key) > maxKeyLength || strings.IndexFunc(key, func(r rune) bool { return r < '!' || r > '~' }) >= 0 {
		s.fail(c, malformed(idempotencyHeader, fmt.Sprintf("must be 1 to %d printable ASCII characters", maxKeyLength)))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, s.cfg.MaxBodyBytes))
	if err != nil {
		s.fail(c, decodeError(err, s.cfg.MaxBodyBytes))
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	principal := principalOf(c).ID
	stream := recordStream(principal, key)
	defer s.keys.lock(stream)()

	fingerprint := requestSHA256(c.Request.Method, c.Request.URL.Path, body)
	prior, err := s.recorded(c.Request.Context(), stream)
	if err != nil {
		s.fail(c, err)
		return
	}
	if prior != nil {
		s.replay(c, prior, fingerprint)
		return
	}
	rec := &recorder{ResponseWriter: c.Writer}
	c.Writer = rec
	c.Next()
	if rec.Status() >= 500 {
		return
	}
	s.record(c.Request.Context(), stream, &hivev1.IdempotentResponse{
		Principal: principal, Key: key, RequestSha256: fingerprint, Status: int32(rec.Status()),
		Headers: keptHeaders(rec.Header()), Body: rec.body.Bytes(),
	})
}

// recordStream is the stream of a principal's key.
func recordStream(principal, key string) string {
	sum := sha256.Sum256([]byte(principal + "\x00" + key))
	return "idempotency-" + hex.EncodeToString(sum[:16])
}

func requestSHA256(method, path string, body []byte) []byte {
	h := sha256.New()
	fmt.Fprintf(h, "%s %s\n", method, path)
	h.Write(body)
	return h.Sum(nil)
}

// recorded returns the response recorded for the key's stream within the
// window, nil if none.
func (s *Server) recorded(ctx context.Context, stream string) (*hivev1.IdempotentResponse, error) {
	last, err := s.records.ReadStream(ctx, stream, events.End, events.Backward, 1)
	if errors.Is(err, events.ErrStreamNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read idempotency record: %w", err)
	}
	if time.Since(last[0].RecordedAt) > s.cfg.IdempotencyWindow {
		return nil, nil
	}
	msg, err := events.Decode(&last[0])
	if err != nil {
		return nil, fmt.Errorf("read idempotency record: %w", err)
	}
	r, ok := msg.(*hivev1.IdempotentResponse)
	if !ok {
		return nil, fmt.Errorf("read idempotency record: %s holds a %s", stream, last[0].Type)
	}
	return r, nil
}

// replay answers a request whose key has a recorded response.
func (s *Server) replay(c *gin.Context, prior *hivev1.IdempotentResponse, fingerprint []byte) {
	if !bytes.Equal(prior.GetRequestSha256(), fingerprint) {
		writeProblem(c, Problem{Type: problemInvalid, Status: http.StatusUnprocessableEntity,
			Detail: "this Idempotency-Key was used with another request",
			Errors: []decision.FieldError{{Field: idempotencyHeader, Reason: "was used with another method, path or body; use a new key for a new request"}}})
		return
	}
	for k, v := range prior.GetHeaders() {
		c.Header(k, v)
	}
	c.Header(replayedHeader, "true")
	c.Status(int(prior.GetStatus()))
	if _, err := c.Writer.Write(prior.GetBody()); err != nil {
		s.logger.Warn("replayed response not written", "err", err)
	}
	c.Abort()
}

// record keeps a response. A failure is logged: the command took effect and
// its response is sent; only a retry of it would run it again.
func (s *Server) record(ctx context.Context, stream string, r *hivev1.IdempotentResponse) {
	e, err := events.NewEvent(r, events.Metadata{Principal: r.GetPrincipal()})
	if err == nil {
		e.RecordedAt = time.Now().UTC()
		_, err = s.records.Append(context.WithoutCancel(ctx), stream, events.Any(), []events.Event{e})
	}
	if err != nil {
		s.logger.Warn("idempotent response not recorded", "stream", stream, "err", err)
	}
}

// keptHeaders are the headers a replayed response repeats.
func keptHeaders(h http.Header) map[string]string {
	out := map[string]string{}
	for _, k := range []string{"Content-Type", "Location", positionHeader, etagHeader} {
		if v := h.Get(k); v != "" {
			out[k] = v
		}
	}
	return out
}

// recorder keeps a copy of the response body it writes.
type recorder struct {
	gin.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

func (r *recorder) WriteString(s string) (int, error) {
	r.body.WriteString(s)
	return r.ResponseWriter.WriteString(s)
}
