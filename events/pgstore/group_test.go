package pgstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"hive/events"
	"hive/events/pgstore"
	"hive/events/storetest"
)

// TestGroupCommitGroups has many writers append at once and checks that
// their appends shared transactions, and that grouping lost nothing.
func TestGroupCommitGroups(t *testing.T) {
	const writers, perWriter = 64, 5
	s := open(t, pgstore.Config{})
	start := make(chan struct{})
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			stream := fmt.Sprintf("g-%d", w)
			for i := range perWriter {
				if _, err := s.Append(context.Background(), stream, events.Exact(uint64(i)), storetest.NewEvents(t, stream, 1)); err != nil {
					t.Errorf("%s append %d: %v", stream, i, err)
					return
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	st := s.Stats()
	t.Logf("%d appends in %d commits (%.1f per commit)", st.Appends, st.Commits, float64(st.Appends)/float64(st.Commits))
	if st.Appends != writers*perWriter || st.Events != writers*perWriter {
		t.Fatalf("stats count %d appends and %d events, want %d of each", st.Appends, st.Events, writers*perWriter)
	}
	if st.Commits*4 > st.Appends {
		t.Errorf("%d commits for %d appends: concurrent appends are not grouped", st.Commits, st.Appends)
	}
	if h, err := s.Head(context.Background()); err != nil || h != writers*perWriter {
		t.Errorf("Head = %d, %v; want %d (dense positions)", h, err, writers*perWriter)
	}
}

// TestGroupSeesEarlierRequests has appends to one stream, and repeats of
// one append, race into shared groups: each request must see those staged
// before it in its group, for versions, the hash chain and idempotency.
func TestGroupSeesEarlierRequests(t *testing.T) {
	s := open(t, pgstore.Config{})
	const n = 48
	repeated := storetest.NewEvents(t, "idem", 1)
	var wg sync.WaitGroup
	start := make(chan struct{})
	results := make(chan error, 2*n)
	for range n {
		wg.Add(2)
		go func() {
			defer wg.Done()
			<-start
			_, err := s.Append(context.Background(), "same", events.Any(), storetest.NewEvents(t, "same", 2))
			results <- err
		}()
		go func() {
			defer wg.Done()
			<-start
			_, err := s.Append(context.Background(), "idem", events.Any(), repeated)
			results <- err
		}()
	}
	close(start)
	wg.Wait()
	close(results)
	for err := range results {
		if err != nil {
			t.Errorf("append: %v", err)
		}
	}
	st := s.Stats()
	t.Logf("%d appends in %d commits", st.Appends, st.Commits)
	if st.Appends != n+1 || st.Events != 2*n+1 {
		t.Errorf("stats count %d appends, %d events; want %d and %d (repeats write nothing)", st.Appends, st.Events, n+1, 2*n+1)
	}
	if st.Commits >= st.Appends {
		t.Errorf("%d commits for %d appends: no group held two appends to the same stream", st.Commits, st.Appends)
	}
	got, err := s.ReadStream(context.Background(), "same", 1, events.Forward, events.MaxReadLimit)
	if err != nil || len(got) != 2*n {
		t.Fatalf("stream has %d events (%v), want %d", len(got), err, 2*n)
	}
	if err := events.VerifyChain(got); err != nil {
		t.Errorf("chain of grouped appends: %v", err)
	}
}

// TestNULRefused: PostgreSQL's text cannot hold NUL, so a type or metadata
// holding one is refused as invalid, before anything is written.
func TestNULRefused(t *testing.T) {
	s := open(t, pgstore.Config{})
	for _, field := range []string{"type", "correlation", "causation", "principal"} {
		evs := storetest.NewEvents(t, "nul", 1)
		switch field {
		case "type":
			evs[0].Type = "a\x00b"
		case "correlation":
			evs[0].CorrelationID = "a\x00b"
		case "causation":
			evs[0].CausationID = "a\x00b"
		case "principal":
			evs[0].Principal = "a\x00b"
		}
		if _, err := s.Append(context.Background(), "nul", events.Any(), evs); !errors.Is(err, events.ErrInvalidArgument) {
			t.Errorf("NUL in the %s: Append = %v, want ErrInvalidArgument", field, err)
		}
	}
	if h, err := s.Head(context.Background()); err != nil || h != 0 {
		t.Errorf("Head = %d, %v; want 0", h, err)
	}
}

// TestAppendOverBatchLimit: an append larger than a transaction may grow
// is refused as invalid, and smaller ones still go through.
func TestAppendOverBatchLimit(t *testing.T) {
	s := open(t, pgstore.Config{MaxBatchBytes: 2000})
	evs := storetest.NewEvents(t, "big", 3)
	for i := range evs {
		evs[i].Payload = make([]byte, 700)
	}
	if _, err := s.Append(context.Background(), "big", events.Any(), evs); !errors.Is(err, events.ErrInvalidArgument) {
		t.Fatalf("Append of 2,100 payload bytes = %v, want ErrInvalidArgument", err)
	}
	storetest.MustAppend(t, s, "big", events.NoStream(), evs[:2])
}
