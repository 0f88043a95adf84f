package api

import (
	"fmt"
	"net/netip"
	"testing"
	"time"
)

func TestClientOf(t *testing.T) {
	tests := []struct {
		remote string
		want   string // "" when unreadable
	}{
		{"192.0.2.7:4711", "192.0.2.7/32"},
		{"[::ffff:192.0.2.7]:4711", "192.0.2.7/32"},
		{"[2001:db8:1:2:aaaa::1]:80", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:bbbb::9]:81", "2001:db8:1:2::/64"},
		{"pipe", ""},
	}
	for _, tc := range tests {
		got, ok := clientOf(tc.remote)
		if tc.want == "" {
			if ok {
				t.Errorf("clientOf(%q) = %v, want unreadable", tc.remote, got)
			}
			continue
		}
		if !ok || got != netip.MustParsePrefix(tc.want) {
			t.Errorf("clientOf(%q) = %v %v, want %s", tc.remote, got, ok, tc.want)
		}
	}
}

func TestClientLimitsRefillAndForget(t *testing.T) {
	l := newClientLimits(AuthConfig{FailureLimit: 2, FailureBurst: 2, FailureClients: 10})
	a := netip.MustParsePrefix("192.0.2.1/32")
	now := time.Unix(1000, 0)
	for range 2 {
		if _, refused := l.refused(a, now); refused {
			t.Fatal("refused within the burst")
		}
		l.failed(a, now)
	}
	wait, refused := l.refused(a, now)
	if !refused || wait != 500*time.Millisecond {
		t.Fatalf("after the burst: refused %v, wait %v; want 500ms (2/s)", refused, wait)
	}
	if _, refused := l.refused(a, now.Add(500*time.Millisecond)); refused {
		t.Fatal("still refused once a request refilled")
	}
	if _, refused := l.refused(netip.MustParsePrefix("192.0.2.2/32"), now); refused || len(l.byClient) != 1 {
		t.Fatalf("another address: refused %v, %d tracked; want it free and untracked", refused, len(l.byClient))
	}
}

func TestClientLimitsTableIsBounded(t *testing.T) {
	const tracked = 8
	l := newClientLimits(AuthConfig{FailureLimit: 1, FailureBurst: 3, FailureClients: tracked})
	now := time.Unix(1000, 0)
	client := func(i int) netip.Prefix { return netip.MustParsePrefix(fmt.Sprintf("10.0.%d.%d/32", i/256, i%256)) }
	refusedAfter := -1
	for i := range 10_000 { // a flood from many addresses, one failure each
		if _, refused := l.refused(client(i), now); refused {
			refusedAfter = i
			break
		}
		l.failed(client(i), now)
		if len(l.byClient) > tracked {
			t.Fatalf("%d addresses tracked, want at most %d", len(l.byClient), tracked)
		}
	}
	if refusedAfter != tracked+3 {
		t.Fatalf("first refusal at address %d, want %d: the untracked addresses share one bucket of 3", refusedAfter, tracked+3)
	}
	later := now.Add(3 * time.Second) // every bucket refilled
	if _, refused := l.refused(client(20_000), later); refused {
		t.Fatal("a new address refused after every bucket refilled")
	}
	l.failed(client(20_000), later)
	if len(l.byClient) != 1 {
		t.Fatalf("%d addresses tracked after the sweep, want the one new address", len(l.byClient))
	}
}
