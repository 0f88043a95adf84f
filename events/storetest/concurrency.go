package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"hive/events"
)

// testRacingWriters has writers race to extend one stream with exact
// expected versions: every version is won by exactly one of them.
func testRacingWriters(t *testing.T, s events.Store) {
	const writers, rounds = 8, 25
	MustAppend(t, s, "race", events.NoStream(), NewEvents(t, "race", 1))
	var mu sync.Mutex
	wins, conflicts := 0, 0
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := 0; r < rounds; r++ {
				last, err := s.ReadStream(context.Background(), "race", events.End, events.Backward, 1)
				if err != nil {
					t.Error(err)
					return
				}
				_, err = s.Append(context.Background(), "race", events.Exact(last[0].Version), NewEvents(t, "race", 1))
				mu.Lock()
				switch {
				case err == nil:
					wins++
				case errors.Is(err, events.ErrWrongExpectedVersion):
					conflicts++
				default:
					t.Errorf("racing append: %v", err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	got := readStream(t, s, "race")
	if len(got) != wins+1 {
		t.Fatalf("stream has %d events, want %d (1 + %d winning appends)", len(got), wins+1, wins)
	}
	if wins+conflicts != writers*rounds || wins == 0 {
		t.Errorf("wins %d + conflicts %d, want %d attempts with some wins", wins, conflicts, writers*rounds)
	}
	if err := events.VerifyChain(got); err != nil {
		t.Errorf("chain after races: %v", err)
	}
}

func testConcurrentDistinctStreams(t *testing.T, s events.Store) {
	const writers, perWriter = 16, 20
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("writer-%d", w)
			var version uint64
			for i := 0; i < perWriter; i++ {
				res, err := s.Append(context.Background(), stream, events.Exact(version), NewEvents(t, stream, 1+i%2))
				if err != nil {
					t.Errorf("%s append %d: %v", stream, i, err)
					return
				}
				version = res.LastVersion
			}
		}()
	}
	wg.Wait()
	all := readAll(t, s)
	lastVersion := map[string]uint64{}
	for i, e := range all {
		if i > 0 && e.Position <= all[i-1].Position {
			t.Fatalf("global order broken at %d", i)
		}
		if e.Version != lastVersion[e.Stream]+1 {
			t.Fatalf("%s version %d follows %d in the global log", e.Stream, e.Version, lastVersion[e.Stream])
		}
		lastVersion[e.Stream] = e.Version
	}
	want := writers * (perWriter/2*1 + perWriter/2*2)
	if len(all) != want {
		t.Errorf("log has %d events, want %d", len(all), want)
	}
}
