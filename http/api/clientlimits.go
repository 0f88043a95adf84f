package api

import (
	"math"
	"net/netip"
	"sync"
	"time"
)

// clientLimits limits, per client address, the requests that fail
// authentication (a token bucket per address): a request takes nothing
// from its address's bucket unless it fails authentication (401), and an
// address whose bucket is empty is refused with 429 before its token is
// looked at, a valid one too, until the bucket refills. Authenticated
// traffic is limited per token (limiters) instead, so that many agents
// behind one address are not limited together.
//
// The address is the connection's peer (never a header a client could
// forge), an IPv6 address counted with its /64, as one host usually holds
// the whole /64. Memory is bounded: at most max addresses are tracked; an
// address whose bucket has refilled is forgotten (it is the same as one
// never seen); while the table is full of addresses still refilling, the
// addresses not in it share one bucket, so that a flood from many
// addresses is limited as one.
type clientLimits struct {
	rate  float64 // tokens per second; 0 is no limit
	burst float64
	max   int

	mu       sync.Mutex
	byClient map[netip.Prefix]*bucket
	// overflow is the bucket of the addresses not tracked while the table
	// is full.
	overflow bucket
	// nextSweep is when a full table may next be swept of refilled buckets,
	// so that a flood from new addresses does not sweep on every request.
	nextSweep time.Time
}

// bucket is a token bucket: its tokens at a time, refilling at the
// limits' rate up to their burst.
type bucket struct {
	tokens float64
	at     time.Time
}

func newClientLimits(c AuthConfig) *clientLimits {
	return &clientLimits{rate: c.FailureLimit, burst: float64(c.FailureBurst), max: c.FailureClients,
		byClient: map[netip.Prefix]*bucket{}, overflow: bucket{tokens: float64(c.FailureBurst)}}
}

// clientOf is the client an address ("host:port", as net/http gives the
// peer) counts as; ok is false for an address that cannot be parsed.
func clientOf(remoteAddr string) (netip.Prefix, bool) {
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return netip.Prefix{}, false
	}
	addr := ap.Addr().Unmap()
	bits := 32
	if addr.Is6() {
		bits = 64
	}
	p, err := addr.Prefix(bits)
	return p, err == nil
}

// refused reports whether the client's failures have spent its bucket, and
// if so how long until it holds one request again.
func (l *clientLimits) refused(client netip.Prefix, now time.Time) (time.Duration, bool) {
	if l.rate == 0 {
		return 0, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketOf(client, now, false)
	if b == nil {
		return 0, false
	}
	if tokens := b.refill(l, now); tokens < 1 {
		return time.Duration((1 - tokens) / l.rate * float64(time.Second)), true
	}
	return 0, false
}

// failed takes one request from the client's bucket: it failed
// authentication.
func (l *clientLimits) failed(client netip.Prefix, now time.Time) {
	if l.rate == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bucketOf(client, now, true)
	b.tokens = max(b.refill(l, now)-1, 0)
}

// bucketOf returns the client's bucket: its own, the overflow one if the
// table is full, or with create false nil for a client with a full bucket.
// l.mu is held.
func (l *clientLimits) bucketOf(client netip.Prefix, now time.Time, create bool) *bucket {
	if b, ok := l.byClient[client]; ok {
		return b
	}
	if len(l.byClient) >= l.max {
		l.sweep(now)
	}
	switch {
	case len(l.byClient) >= l.max:
		return &l.overflow
	case !create:
		return nil
	}
	b := &bucket{tokens: l.burst, at: now}
	l.byClient[client] = b
	return b
}

// sweep forgets the clients whose buckets have refilled, at most once a
// second. l.mu is held.
func (l *clientLimits) sweep(now time.Time) {
	if now.Before(l.nextSweep) {
		return
	}
	l.nextSweep = now.Add(time.Second)
	for client, b := range l.byClient {
		if b.refill(l, now) >= l.burst {
			delete(l.byClient, client)
		}
	}
}

// refill brings b's tokens up to now and returns them.
func (b *bucket) refill(l *clientLimits, now time.Time) float64 {
	if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
		b.tokens = math.Min(l.burst, b.tokens+elapsed*l.rate)
		b.at = now
	}
	return b.tokens
}
