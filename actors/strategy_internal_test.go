package actors

import (
	"testing"
	"time"
)

func TestBackoffDoublesUpToTheCap(t *testing.T) {
	tests := []struct {
		n    int
		want time.Duration
	}{
		{1, 10 * time.Millisecond},
		{2, 20 * time.Millisecond},
		{3, 40 * time.Millisecond},
		{8, 1280 * time.Millisecond},
		{9, 2 * time.Second},
		{50, 2 * time.Second},
	}
	for _, tc := range tests {
		if got := backoff(10*time.Millisecond, 2*time.Second, tc.n); got != tc.want {
			t.Errorf("backoff after failure %d = %v, want %v", tc.n, got, tc.want)
		}
	}
}
