package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"hive/events"
)

// testImport checks the optional Importer capability, when the store has
// it: an archive imported in two batches reads back exactly as recorded,
// appends continue it, and a batch that does not continue the log or a
// stream's chain is refused whole.
func testImport(t *testing.T, s events.Store) {
	imp, ok := s.(events.Importer)
	if !ok {
		t.Skip("the store imports no archives")
	}
	ctx := ctxTimeout(t, 30*time.Second)
	archive := newArchive(t)
	for _, e := range []string{"a", "b", "a", "c", "a", "b"} {
		archive.add(t, e)
	}
	if err := imp.Import(ctx, archive.envs[:2]); err != nil {
		t.Fatalf("import the first batch: %v", err)
	}
	if err := imp.Import(ctx, archive.envs[2:]); err != nil {
		t.Fatalf("import the second batch: %v", err)
	}
	got := readAll(t, s)
	if len(got) != len(archive.envs) {
		t.Fatalf("log has %d events after the import, want %d", len(got), len(archive.envs))
	}
	for i := range got {
		if !sameEnvelope(&got[i], &archive.envs[i]) {
			t.Errorf("event %d reads back as %+v, was imported as %+v", i, got[i], archive.envs[i])
		}
	}
	last := archive.envs[len(archive.envs)-1].Position
	if h := head(t, s); h != last {
		t.Errorf("Head after the import = %d, want %d", h, last)
	}
	res := MustAppend(t, s, "a", events.Exact(3), NewEvents(t, "a", 1))
	if res.LastVersion != 4 || res.LastPosition <= last {
		t.Errorf("append after the import = %+v, want version 4 after position %d", res, last)
	}
	if err := events.VerifyChain(readStream(t, s, "a")); err != nil {
		t.Errorf("stream a after import and append: %v", err)
	}
	testImportRefusals(ctx, t, s, imp)
}

// testImportRefusals imports batches that each break one rule: every one
// fails with ErrInvalidArgument and stores nothing.
func testImportRefusals(ctx context.Context, t *testing.T, s events.Store, imp events.Importer) {
	tests := []struct {
		name  string
		batch func(a *archive) []events.Envelope
	}{
		{"position not after the head", func(a *archive) []events.Envelope {
			e := a.add(t, "b")
			e.Position-- // the stored head's own position
			return []events.Envelope{*e}
		}},
		{"positions not increasing", func(a *archive) []events.Envelope {
			first, second := *a.add(t, "b"), *a.add(t, "c")
			second.Position = first.Position
			return []events.Envelope{first, second}
		}},
		{"version gap", func(a *archive) []events.Envelope {
			prev := a.heads["b"].Hash
			e := a.add(t, "b")
			e.Version++
			e.Hash = events.ChainHash(prev, e)
			return []events.Envelope{*e}
		}},
		{"new stream not at version 1", func(a *archive) []events.Envelope {
			e := a.add(t, "new")
			e.Version = 2
			e.Hash = events.ChainHash(events.Hash{}, e)
			return []events.Envelope{*e}
		}},
		{"hash not chained", func(a *archive) []events.Envelope {
			e := a.add(t, "b")
			e.Payload = []byte("tampered")
			return []events.Envelope{*e}
		}},
		{"id already stored", func(a *archive) []events.Envelope {
			prev := a.heads["b"].Hash
			e := a.add(t, "b")
			e.ID = readStream(t, s, "c")[0].ID
			e.Hash = events.ChainHash(prev, e)
			return []events.Envelope{*e}
		}},
		{"id twice in the batch", func(a *archive) []events.Envelope {
			prev := a.heads["c"].Hash
			first, second := *a.add(t, "b"), *a.add(t, "c")
			second.ID = first.ID
			second.Hash = events.ChainHash(prev, &second)
			return []events.Envelope{first, second}
		}},
		{"no recorded time", func(a *archive) []events.Envelope {
			e := a.add(t, "b")
			e.RecordedAt = time.Time{}
			return []events.Envelope{*e}
		}},
	}
	for _, tc := range tests {
		before := head(t, s)
		a := continueArchive(t, s)
		err := imp.Import(ctx, tc.batch(a))
		if !errors.Is(err, events.ErrInvalidArgument) {
			t.Errorf("%s: Import = %v, want ErrInvalidArgument", tc.name, err)
		}
		if h := head(t, s); h != before {
			t.Errorf("%s: the refused import moved the head from %d to %d", tc.name, before, h)
		}
	}
	// And a good batch still goes in after all those refusals.
	a := continueArchive(t, s)
	if err := imp.Import(ctx, []events.Envelope{*a.add(t, "b")}); err != nil {
		t.Errorf("import after refusals: %v", err)
	}
}

// archive builds envelopes as a store records them: dense positions after
// head, versions and hash chains per stream.
type archive struct {
	envs  []events.Envelope
	head  uint64
	heads map[string]events.Envelope // each stream's last envelope
}

func newArchive(t *testing.T) *archive {
	t.Helper()
	return &archive{heads: make(map[string]events.Envelope)}
}

// continueArchive returns an archive continuing what s stores.
func continueArchive(t *testing.T, s events.Store) *archive {
	t.Helper()
	a := newArchive(t)
	for _, e := range readAll(t, s) {
		a.heads[e.Stream] = e
		a.head = e.Position
	}
	return a
}

// add appends a new event of stream to the archive and returns it.
func (a *archive) add(t *testing.T, stream string) *events.Envelope {
	t.Helper()
	id, err := events.NewEventID()
	if err != nil {
		t.Fatal(err)
	}
	prev := a.heads[stream]
	a.head++
	e := events.Envelope{
		ID: id, Stream: stream, Version: prev.Version + 1, Position: a.head, Type: "test.Archived",
		RecordedAt:    time.Date(2025, 6, 7, 8, 9, 10, int(a.head)*1001, time.UTC),
		SchemaVersion: 2, Payload: []byte(fmt.Sprintf("%s@%d", stream, a.head)),
		Metadata: events.Metadata{CorrelationID: "corr", CausationID: "cause", Principal: "importer"},
	}
	e.Hash = events.ChainHash(prev.Hash, &e)
	a.heads[stream] = e
	a.envs = append(a.envs, e)
	return &a.envs[len(a.envs)-1]
}

func sameEnvelope(a, b *events.Envelope) bool {
	return a.ID == b.ID && a.Stream == b.Stream && a.Version == b.Version && a.Position == b.Position &&
		a.Type == b.Type && a.RecordedAt.Equal(b.RecordedAt) && a.SchemaVersion == b.SchemaVersion &&
		bytes.Equal(a.Payload, b.Payload) && a.Metadata == b.Metadata && a.Hash == b.Hash
}
