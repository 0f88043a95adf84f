package esdbstore_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"

	"hive/events"
	"hive/events/esdbstore"
	"hive/events/esdbstore/esdbdouble"
	"hive/events/storetest"
)

// TestCloseLeavesNoGoroutines checks that Close stops everything Open and
// the store's use started: subscription pumps and the client's connection.
func TestCloseLeavesNoGoroutines(t *testing.T) {
	srv := esdbdouble.Start(t)
	before := runtime.NumGoroutine()
	s, err := esdbstore.Open(context.Background(), esdbstore.Config{URL: srv.URL()})
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustAppend(t, s, "g", events.NoStream(), storetest.NewEvents(t, "g", 3))
	for range 2 {
		sub, err := s.SubscribeAll(context.Background(), 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := sub.Next(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("%d goroutines after Close, %d before Open:\n%s", runtime.NumGoroutine(), before, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReadAllPagesPastSystemEvents pages through a log in which system
// events lie between Hive's, with every page size: each of Hive's events
// comes once, in order, and no system event comes at all.
func TestReadAllPagesPastSystemEvents(t *testing.T) {
	srv, s := doubleStore(t)
	c := rawClient(t, srv)
	var want []uuid.UUID
	for i := range 12 {
		if i%3 != 0 {
			sys := kurrentdb.EventData{EventID: uuid.New(), EventType: "$statsCollected", ContentType: kurrentdb.ContentTypeJson, Data: []byte(`{}`)}
			if _, err := c.AppendToStream(context.Background(), "$stats-127.0.0.1", kurrentdb.AppendToStreamOptions{}, sys, sys); err != nil {
				t.Fatal(err)
			}
		}
		evs := storetest.NewEvents(t, "h", 1+i%2)
		storetest.MustAppend(t, s, "h", events.Any(), evs)
		for _, e := range evs {
			want = append(want, e.ID)
		}
	}
	for size := 1; size <= len(want)+1; size++ {
		var got []uuid.UUID
		var after uint64
		for {
			page, err := s.ReadAll(context.Background(), after, size)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > size {
				t.Fatalf("page size %d: a page of %d", size, len(page))
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				got = append(got, e.ID)
			}
			after = page[len(page)-1].Position
		}
		if len(got) != len(want) {
			t.Fatalf("page size %d: read %d events, want %d", size, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("page size %d: event %d is %s, want %s", size, i, got[i], want[i])
			}
		}
	}
	if h, _ := s.Head(context.Background()); h == 0 {
		t.Error("Head is 0 with events in the log")
	}
}
