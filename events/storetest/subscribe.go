package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"hive/events"
)

// testSubscribeCatchUpThenLive subscribes from the start while writers are
// appending: the subscriber must see every event exactly once, in order,
// across the switch from stored to live events.
func testSubscribeCatchUpThenLive(t *testing.T, s events.Store) {
	const writers, perWriter, before = 4, 50, 30
	for i := 0; i < before; i++ {
		MustAppend(t, s, fmt.Sprintf("pre-%d", i%3), events.Any(), NewEvents(t, "pre", 1))
	}
	ctx := ctxTimeout(t, 30*time.Second)
	sub, err := s.SubscribeAll(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()

	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			stream := fmt.Sprintf("live-%d", w)
			for i := 0; i < perWriter; i++ {
				if _, err := s.Append(ctx, stream, events.Any(), NewEvents(t, stream, 1)); err != nil {
					t.Errorf("append: %v", err)
					return
				}
			}
		}()
	}
	total := before + writers*perWriter
	got := make([]events.Envelope, 0, total)
	for len(got) < total {
		e, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("after %d of %d events: %v", len(got), total, err)
		}
		got = append(got, e)
	}
	wg.Wait()
	want := readAll(t, s)
	if len(want) != total {
		t.Fatalf("log has %d events, want %d", len(want), total)
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Position != want[i].Position {
			t.Fatalf("event %d: subscription gave %s@%d, log has %s@%d", i, got[i].ID, got[i].Position, want[i].ID, want[i].Position)
		}
	}
	// Nothing more is delivered: the subscription waits for the next commit.
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if e, err := sub.Next(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Next past the head = %+v, %v; want DeadlineExceeded", e, err)
	}
	res := MustAppend(t, s, "after-idle", events.NoStream(), NewEvents(t, "after-idle", 1))
	e, err := sub.Next(ctx)
	if err != nil || e.Position != res.LastPosition {
		t.Fatalf("after waiting: %+v, %v; want the new event at %d", e, err, res.LastPosition)
	}
}

func testSubscribeFromPosition(t *testing.T, s events.Store) {
	MustAppend(t, s, "p", events.NoStream(), NewEvents(t, "p", 4))
	all := readAll(t, s)
	ctx := ctxTimeout(t, 10*time.Second)
	sub, err := s.SubscribeAll(ctx, all[1].Position)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	for _, want := range all[2:] {
		e, err := sub.Next(ctx)
		if err != nil || e.ID != want.ID {
			t.Fatalf("Next = %s, %v; want %s", e.ID, err, want.ID)
		}
	}
}

func testSubscriptionCancellation(t *testing.T, s events.Store) {
	ctx := ctxTimeout(t, 10*time.Second)
	sub, err := s.SubscribeAll(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	waitCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := sub.Next(waitCtx)
		errc <- err
	}()
	cancel()
	select {
	case err := <-errc:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled Next = %v, want context.Canceled", err)
		}
	case <-ctx.Done():
		t.Fatal("Next did not return after its context was canceled")
	}
	// Still usable after a canceled Next.
	MustAppend(t, s, "c", events.NoStream(), NewEvents(t, "c", 1))
	if _, err := sub.Next(ctx); err != nil {
		t.Fatalf("Next after a canceled one: %v", err)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Next(ctx); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("Next after Close = %v, want ErrClosed", err)
	}
}

func testCanceledContext(t *testing.T, s events.Store) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Append(ctx, "x", events.Any(), NewEvents(t, "x", 1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Append with a canceled context = %v, want context.Canceled", err)
	}
	if h := head(t, s); h != 0 {
		t.Errorf("canceled append moved head to %d", h)
	}
	if _, err := s.ReadAll(ctx, 0, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadAll with a canceled context = %v, want context.Canceled", err)
	}
	if _, err := s.SubscribeAll(ctx, 0); !errors.Is(err, context.Canceled) {
		t.Errorf("SubscribeAll with a canceled context = %v, want context.Canceled", err)
	}
	if _, err := s.ReadStream(ctx, "x", 1, events.Forward, 10); !errors.Is(err, context.Canceled) {
		t.Errorf("ReadStream with a canceled context = %v, want context.Canceled", err)
	}
	if _, err := s.Head(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Head with a canceled context = %v, want context.Canceled", err)
	}
	if ss, ok := s.(events.SnapshotStore); ok {
		if _, err := ss.LoadSnapshot(ctx, "x"); !errors.Is(err, context.Canceled) {
			t.Errorf("LoadSnapshot with a canceled context = %v, want context.Canceled", err)
		}
		if err := ss.SaveSnapshot(ctx, events.Snapshot{Stream: "x", Version: 1, Type: "test.State"}); !errors.Is(err, context.Canceled) {
			t.Errorf("SaveSnapshot with a canceled context = %v, want context.Canceled", err)
		}
	}
}

func testClosed(t *testing.T, s events.Store) {
	ctx := ctxTimeout(t, 10*time.Second)
	MustAppend(t, s, "z", events.NoStream(), NewEvents(t, "z", 1))
	sub, err := s.SubscribeAll(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Next(ctx); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := sub.Next(ctx)
		errc <- err
	}()
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, events.ErrClosed) {
			t.Errorf("waiting Next after store Close = %v, want ErrClosed", err)
		}
	case <-ctx.Done():
		t.Fatal("waiting Next did not end when the store closed")
	}
	if _, err := s.Append(ctx, "z", events.Any(), NewEvents(t, "z", 1)); !errors.Is(err, events.ErrClosed) {
		t.Errorf("Append after Close = %v, want ErrClosed", err)
	}
	if _, err := s.ReadAll(ctx, 0, 10); !errors.Is(err, events.ErrClosed) {
		t.Errorf("ReadAll after Close = %v, want ErrClosed", err)
	}
	if _, err := s.ReadStream(ctx, "z", 1, events.Forward, 10); !errors.Is(err, events.ErrClosed) {
		t.Errorf("ReadStream after Close = %v, want ErrClosed", err)
	}
	if _, err := s.Head(ctx); !errors.Is(err, events.ErrClosed) {
		t.Errorf("Head after Close = %v, want ErrClosed", err)
	}
	if _, err := s.SubscribeAll(ctx, 0); !errors.Is(err, events.ErrClosed) {
		t.Errorf("SubscribeAll after Close = %v, want ErrClosed", err)
	}
	if ss, ok := s.(events.SnapshotStore); ok {
		if _, err := ss.LoadSnapshot(ctx, "z"); !errors.Is(err, events.ErrClosed) {
			t.Errorf("LoadSnapshot after Close = %v, want ErrClosed", err)
		}
		if err := ss.SaveSnapshot(ctx, events.Snapshot{Stream: "z", Version: 1, Type: "test.State"}); !errors.Is(err, events.ErrClosed) {
			t.Errorf("SaveSnapshot after Close = %v, want ErrClosed", err)
		}
	}
}
