package live

import "testing"

func TestRingDropsTheOldestFramesOverItsBytes(t *testing.T) {
	r := newRing(8, 25)
	all := func(string) bool { return true }
	for seq := uint64(1); seq <= 3; seq++ {
		r.push(&frame{seq: seq, topic: "feed", text: make([]byte, 10)})
	}
	if r.held() != 2 || r.bytes != 20 {
		t.Fatalf("held %d frames of %d bytes, want the newest 2 of 20", r.held(), r.bytes)
	}
	if _, ok := r.since(0, all); ok {
		t.Error("resumed from before a frame dropped for its bytes")
	}
	if fs, ok := r.since(1, all); !ok || len(fs) != 2 || fs[0].seq != 2 {
		t.Errorf("since(1) = %v, %v; want frames 2 and 3", fs, ok)
	}
	// The newest frame stays, however big.
	r.push(&frame{seq: 4, topic: "feed", text: make([]byte, 100)})
	if r.held() != 1 || r.first != 4 {
		t.Fatalf("held %d frames from %d, want only the newest", r.held(), r.first)
	}
	// Over its size, the ring drops the oldest as before.
	small := newRing(2, 1<<20)
	for seq := uint64(1); seq <= 5; seq++ {
		small.push(&frame{seq: seq, topic: "feed", text: []byte("x")})
	}
	if fs, ok := small.since(3, all); !ok || len(fs) != 2 || small.held() != 2 {
		t.Errorf("since(3) = %v, %v with %d held", fs, ok, small.held())
	}
	if _, ok := small.since(2, all); ok {
		t.Error("resumed from before the ring's size")
	}
}
