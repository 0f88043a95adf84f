package pgstore_test

import (
	"bytes"
	"context"
	"testing"

	"hive/events"
	"hive/events/pgstore"
	"hive/events/pgstore/pgtest"
	"hive/events/storetest"
)

// TestSimpleProtocol runs the store over a URL asking pgx for the simple
// protocol (as behind a pooler that cannot keep prepared statements), in
// which rows come back as text: reads and writes give what the default
// (binary) mode gives.
func TestSimpleProtocol(t *testing.T) {
	url := pgtest.Shared(t).URL() + "&default_query_exec_mode=simple_protocol"
	s := open(t, pgstore.Config{URL: url})
	ctx := context.Background()
	in := storetest.NewEvents(t, "simple", 3)
	res := storetest.MustAppend(t, s, "simple", events.NoStream(), in)
	if again := storetest.MustAppend(t, s, "simple", events.Any(), in); again != res {
		t.Errorf("repeat = %+v, want %+v", again, res)
	}
	page, err := s.ReadAll(ctx, 0, 10)
	if err != nil || len(page) != 3 {
		t.Fatalf("ReadAll = %d events, %v", len(page), err)
	}
	if err := events.VerifyChain(page); err != nil {
		t.Fatal(err)
	}
	binary := open(t, pgstore.Config{URL: pgtest.Shared(t).URL()})
	if err := binary.Import(ctx, page); err != nil {
		t.Fatalf("import what the simple protocol read into a store read in binary: %v", err)
	}
	back, err := binary.ReadStream(ctx, "simple", 1, events.Forward, 10)
	if err != nil {
		t.Fatal(err)
	}
	for i := range page {
		a, b := page[i], back[i]
		if a.ID != b.ID || a.Position != b.Position || !a.RecordedAt.Equal(b.RecordedAt) || a.Hash != b.Hash ||
			!bytes.Equal(a.Payload, b.Payload) || a.Metadata != b.Metadata || a.SchemaVersion != b.SchemaVersion {
			t.Errorf("event %d read as %+v in text, %+v in binary", i, a, b)
		}
	}
}
