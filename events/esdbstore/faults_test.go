package esdbstore_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"hive/events"
	"hive/events/esdbstore"
	"hive/events/esdbstore/esdbdouble"
	"hive/events/storetest"
)

// doubleStore starts a double and opens a store on it.
func doubleStore(t *testing.T) (*esdbdouble.Server, *esdbstore.Store) {
	t.Helper()
	srv := esdbdouble.Start(t)
	return srv, openStore(t, esdbstore.Config{URL: srv.URL()})
}

func timeout(t *testing.T, d time.Duration) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// checkStream fails t unless stream holds exactly the events want, in
// order, on an intact hash chain.
func checkStream(t *testing.T, s events.Store, stream string, want []events.Event) {
	t.Helper()
	got, err := s.ReadStream(context.Background(), stream, 1, events.Forward, events.MaxReadLimit)
	if err != nil {
		t.Fatalf("read %s: %v", stream, err)
	}
	if len(got) != len(want) {
		t.Fatalf("%s holds %d events, want %d", stream, len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID {
			t.Errorf("%s version %d is %s, want %s", stream, i+1, got[i].ID, want[i].ID)
		}
	}
	if err := events.VerifyChain(got); err != nil {
		t.Errorf("%s: %v", stream, err)
	}
}

func TestAppendFaults(t *testing.T) {
	tests := []struct {
		name  string
		fault esdbdouble.Fault
		// ctx of the failing append; the error it must satisfy.
		timeout time.Duration
		want    error
		stored  bool // the failed append was stored nonetheless
	}{
		{"server unavailable", esdbdouble.Unavailable, 5 * time.Second, events.ErrUnavailable, false},
		{"connection lost after the commit", esdbdouble.CommitThenUnavailable, 5 * time.Second, events.ErrUnavailable, true},
		{"no answer before the deadline", esdbdouble.Hang, 200 * time.Millisecond, context.DeadlineExceeded, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, s := doubleStore(t)
			storetest.MustAppend(t, s, "f", events.NoStream(), storetest.NewEvents(t, "f", 1))
			before, _ := s.ReadStream(context.Background(), "f", 1, events.Forward, 10)
			evs := storetest.NewEvents(t, "f", 3)
			srv.Inject(esdbdouble.Append, tc.fault, 1)
			_, err := s.Append(timeout(t, tc.timeout), "f", events.Exact(1), evs)
			if !errors.Is(err, tc.want) {
				t.Fatalf("failed append: err = %v, want %v", err, tc.want)
			}
			if got, _ := s.ReadStream(context.Background(), "f", 1, events.Forward, 10); (len(got) == 4) != tc.stored {
				t.Fatalf("after the failed append f holds %d events; stored = %v", len(got), tc.stored)
			}
			// The caller retries the same append: it is stored once.
			res, err := s.Append(context.Background(), "f", events.Exact(1), evs)
			if err != nil || res.LastVersion != 4 {
				t.Fatalf("retry = %+v, %v; want version 4", res, err)
			}
			checkStream(t, s, "f", append([]events.Event{eventOf(before[0])}, evs...))
			last, _ := s.ReadStream(context.Background(), "f", events.End, events.Backward, 1)
			if res.LastPosition != last[0].Position {
				t.Errorf("retry answered position %d, the last event is at %d", res.LastPosition, last[0].Position)
			}
		})
	}
}

// TestRetryOfALargeAppend retries an append of more events than the
// replay window after its outcome was lost: it is still recognised.
func TestRetryOfALargeAppend(t *testing.T) {
	srv, s := doubleStore(t)
	evs := storetest.NewEvents(t, "large", 3*esdbstore.DefaultReplayWindow)
	srv.Inject(esdbdouble.Append, esdbdouble.CommitThenUnavailable, 1)
	if _, err := s.Append(context.Background(), "large", events.Any(), evs); !errors.Is(err, events.ErrUnavailable) {
		t.Fatalf("append whose answer is lost: %v, want ErrUnavailable", err)
	}
	res, err := s.Append(context.Background(), "large", events.Any(), evs)
	if err != nil || res.LastVersion != uint64(len(evs)) {
		t.Fatalf("retry = %+v, %v; want version %d", res, err, len(evs))
	}
	checkStream(t, s, "large", evs)
}

func eventOf(e events.Envelope) events.Event {
	return events.Event{ID: e.ID, Type: e.Type, SchemaVersion: e.SchemaVersion, Payload: e.Payload, RecordedAt: e.RecordedAt, Metadata: e.Metadata}
}

func TestReadFaults(t *testing.T) {
	srv, s := doubleStore(t)
	storetest.MustAppend(t, s, "r", events.NoStream(), storetest.NewEvents(t, "r", 2))
	reads := []struct {
		name string
		read func(ctx context.Context) error
	}{
		{"ReadStream", func(ctx context.Context) error {
			_, err := s.ReadStream(ctx, "r", 1, events.Forward, 10)
			return err
		}},
		{"ReadAll", func(ctx context.Context) error {
			_, err := s.ReadAll(ctx, 0, 10)
			return err
		}},
		{"Head", func(ctx context.Context) error {
			_, err := s.Head(ctx)
			return err
		}},
		{"LoadSnapshot", func(ctx context.Context) error {
			_, err := s.LoadSnapshot(ctx, "r")
			if errors.Is(err, events.ErrSnapshotNotFound) {
				return nil
			}
			return err
		}},
	}
	for _, r := range reads {
		srv.Inject(esdbdouble.Read, esdbdouble.Unavailable, 1)
		if err := r.read(context.Background()); !errors.Is(err, events.ErrUnavailable) {
			t.Errorf("%s on an unavailable server: %v, want ErrUnavailable", r.name, err)
		}
		srv.Inject(esdbdouble.Read, esdbdouble.Hang, 1)
		if err := r.read(timeout(t, 100*time.Millisecond)); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("%s past its deadline: %v, want DeadlineExceeded", r.name, err)
		}
		if err := r.read(context.Background()); err != nil {
			t.Errorf("%s once the server answers: %v", r.name, err)
		}
	}
}

func TestServerWrongExpectedVersion(t *testing.T) {
	srv, s := doubleStore(t)
	storetest.MustAppend(t, s, "w", events.NoStream(), storetest.NewEvents(t, "w", 1))

	// A conflict the next read explains away (the stream did not move for
	// this writer after all) is retried.
	srv.Inject(esdbdouble.Append, esdbdouble.WrongExpectedVersion, 1)
	if res, err := s.Append(context.Background(), "w", events.Exact(1), storetest.NewEvents(t, "w", 1)); err != nil || res.LastVersion != 2 {
		t.Fatalf("append after one conflict = %+v, %v; want version 2", res, err)
	}

	// A conflict that never ends is reported as one, whatever the
	// expectation.
	srv.Inject(esdbdouble.Append, esdbdouble.WrongExpectedVersion, -1)
	for _, exp := range []events.ExpectedVersion{events.Exact(2), events.Any(), events.StreamExists()} {
		_, err := s.Append(context.Background(), "w", exp, storetest.NewEvents(t, "w", 1))
		var wev *events.WrongExpectedVersionError
		if !errors.As(err, &wev) || wev.Actual != 2 || wev.Stream != "w" {
			t.Errorf("append with %s under endless conflicts: %v, want a WrongExpectedVersionError at version 2", exp, err)
		}
	}
	srv.Clear()
	storetest.MustAppend(t, s, "w", events.Exact(2), storetest.NewEvents(t, "w", 1))
	got, _ := s.ReadStream(context.Background(), "w", 1, events.Forward, 10)
	if err := events.VerifyChain(got); err != nil || len(got) != 3 {
		t.Errorf("w holds %d events after the conflicts (%v), want 3 on an intact chain", len(got), err)
	}
}

// receive returns the next n events of sub.
func receive(t *testing.T, sub events.Subscription, n int) []events.Envelope {
	t.Helper()
	ctx := timeout(t, 20*time.Second)
	out := make([]events.Envelope, n)
	for i := range out {
		e, err := sub.Next(ctx)
		if err != nil {
			t.Fatalf("event %d of %d: %v", i+1, n, err)
		}
		out[i] = e
	}
	return out
}

// checkLog fails t unless got is the store's whole log.
func checkLog(t *testing.T, s events.Store, got []events.Envelope) {
	t.Helper()
	want, err := s.ReadAll(context.Background(), 0, events.MaxReadLimit)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("subscription delivered %d events, the log holds %d", len(got), len(want))
	}
	for i := range want {
		if got[i].ID != want[i].ID || got[i].Position != want[i].Position {
			t.Fatalf("event %d: subscription gave %s@%d, log has %s@%d", i, got[i].ID, got[i].Position, want[i].ID, want[i].Position)
		}
	}
}

func TestSubscriptionResumesAfterDrop(t *testing.T) {
	srv, s := doubleStore(t)
	sub, err := s.SubscribeAll(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	var got []events.Envelope
	for round := range 3 {
		for i := range 5 {
			stream := fmt.Sprintf("s-%d", i%2)
			storetest.MustAppend(t, s, stream, events.Any(), storetest.NewEvents(t, stream, 1+round%2))
		}
		got = append(got, receive(t, sub, 5*(1+round%2))...)
		if n := srv.DropSubscriptions(codes.Unavailable); n != 1 {
			t.Fatalf("round %d: the double dropped %d subscriptions, want 1", round, n)
		}
	}
	storetest.MustAppend(t, s, "after", events.NoStream(), storetest.NewEvents(t, "after", 2))
	got = append(got, receive(t, sub, 2)...)
	checkLog(t, s, got)
}

func TestSubscriptionEndsWhenAccessIsDenied(t *testing.T) {
	srv, s := doubleStore(t)
	storetest.MustAppend(t, s, "d", events.NoStream(), storetest.NewEvents(t, "d", 1))
	sub, err := s.SubscribeAll(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	receive(t, sub, 1)
	srv.DropSubscriptions(codes.PermissionDenied)
	ctx := timeout(t, 10*time.Second)
	for range 2 { // the error stays
		if _, err := sub.Next(ctx); !errors.Is(err, esdbstore.ErrAccessDenied) {
			t.Fatalf("Next after the server denied access: %v, want ErrAccessDenied", err)
		}
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := sub.Next(ctx); !errors.Is(err, events.ErrClosed) {
		t.Fatalf("Next after Close: %v, want ErrClosed", err)
	}
	srv.Inject(esdbdouble.Subscribe, esdbdouble.AccessDenied, 1)
	if _, err := s.SubscribeAll(ctx, 0); !errors.Is(err, esdbstore.ErrAccessDenied) {
		t.Fatalf("SubscribeAll refused: %v, want ErrAccessDenied", err)
	}
}

// eventually calls f until it succeeds or 15 seconds pass.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still failing: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServerRestart(t *testing.T) {
	srv, s := doubleStore(t)
	storetest.MustAppend(t, s, "r", events.NoStream(), storetest.NewEvents(t, "r", 1))
	sub, err := s.SubscribeAll(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	got := receive(t, sub, 1)

	srv.Stop()
	evs := storetest.NewEvents(t, "r", 1)
	if _, err := s.Append(context.Background(), "r", events.Exact(1), evs); !errors.Is(err, events.ErrUnavailable) {
		t.Fatalf("append while the server is down: %v, want ErrUnavailable", err)
	}
	// Long enough for the client to give up rediscovering the server.
	for range 3 {
		if _, err := s.Head(context.Background()); !errors.Is(err, events.ErrUnavailable) {
			t.Fatalf("Head while the server is down: %v, want ErrUnavailable", err)
		}
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "append after the restart", func() error {
		_, err := s.Append(context.Background(), "r", events.Exact(1), evs)
		return err
	})
	storetest.MustAppend(t, s, "r", events.Exact(2), storetest.NewEvents(t, "r", 1))
	got = append(got, receive(t, sub, 2)...)
	checkLog(t, s, got)
}
