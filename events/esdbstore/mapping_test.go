package esdbstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/kurrent-io/KurrentDB-Client-Go/kurrentdb"

	"hive/events"
	"hive/events/esdbstore"
	"hive/events/esdbstore/esdbdouble"
	"hive/events/storetest"
)

// rawClient returns a client of the double that sees EventStoreDB's events
// as they are stored.
func rawClient(t *testing.T, srv *esdbdouble.Server) *kurrentdb.Client {
	t.Helper()
	cfg, err := kurrentdb.ParseConnectionString(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Logger = kurrentdb.NoopLogging()
	c, err := kurrentdb.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// rawStream returns an EventStoreDB stream's events; nil if it has none.
func rawStream(t *testing.T, c *kurrentdb.Client, stream string) []*kurrentdb.RecordedEvent {
	t.Helper()
	rs, err := c.ReadStream(context.Background(), stream, kurrentdb.ReadStreamOptions{}, 1000)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var out []*kurrentdb.RecordedEvent
	for {
		ev, err := rs.Recv()
		var kerr *kurrentdb.Error
		switch {
		case errors.Is(err, io.EOF):
			return out
		case errors.As(err, &kerr) && kerr.Code() == kurrentdb.ErrorCodeResourceNotFound:
			return nil
		case err != nil:
			t.Fatal(err)
		}
		out = append(out, ev.OriginalEvent())
	}
}

func TestHowEventsAreStored(t *testing.T) {
	srv, s := doubleStore(t)
	c := rawClient(t, srv)
	evs := storetest.NewEvents(t, "agent-1", 2)
	evs[1].RecordedAt = time.Date(2026, 3, 4, 5, 6, 7, 891234567, time.UTC)
	evs[1].SchemaVersion = 3
	res := storetest.MustAppend(t, s, "agent-1", events.NoStream(), evs)
	envs, err := s.ReadStream(context.Background(), "agent-1", 1, events.Forward, 10)
	if err != nil {
		t.Fatal(err)
	}
	raw := rawStream(t, c, "agent-1")
	if len(raw) != 2 {
		t.Fatalf("EventStoreDB's stream agent-1 holds %d events, want 2", len(raw))
	}
	for i, r := range raw {
		e := envs[i]
		if r.EventID != e.ID || r.EventNumber != e.Version-1 || r.EventType != e.Type || !bytes.Equal(r.Data, e.Payload) {
			t.Errorf("event %d stored as id %s revision %d type %s, want the envelope's id %s, version-1 %d, type %s and payload", i, r.EventID, r.EventNumber, r.EventType, e.ID, e.Version-1, e.Type)
		}
		if r.ContentType != "application/octet-stream" {
			t.Errorf("event %d content type %s", i, r.ContentType)
		}
		if r.Position.Commit != e.Position || r.Position.Prepare != e.Position {
			t.Errorf("event %d at commit %d prepare %d, Hive's position %d", i, r.Position.Commit, r.Position.Prepare, e.Position)
		}
		var meta map[string]any
		dec := json.NewDecoder(bytes.NewReader(r.UserMetadata))
		dec.UseNumber()
		if err := dec.Decode(&meta); err != nil {
			t.Fatalf("event %d metadata %q: %v", i, r.UserMetadata, err)
		}
		want := map[string]any{
			"$correlationId": e.CorrelationID, "$causationId": e.CausationID, "principal": e.Principal,
			"schemaVersion": json.Number(strings.TrimSpace(jsonOf(t, e.SchemaVersion))),
			"recordedAt":    json.Number(jsonOf(t, e.RecordedAt.UnixNano())),
			"hash":          e.Hash.String(),
		}
		if len(meta) != len(want) {
			t.Errorf("event %d metadata %s, want the keys of %v", i, r.UserMetadata, want)
		}
		for k, v := range want {
			if meta[k] != v {
				t.Errorf("event %d metadata %q = %v, want %v", i, k, meta[k], v)
			}
		}
	}
	if !envs[1].RecordedAt.Equal(evs[1].RecordedAt) {
		t.Errorf("recorded time %v, want %v to the nanosecond", envs[1].RecordedAt, evs[1].RecordedAt)
	}
	if res.LastPosition != envs[1].Position {
		t.Errorf("append answered position %d, the last event is at %d", res.LastPosition, envs[1].Position)
	}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestHowSnapshotsAreStored(t *testing.T) {
	srv, s := doubleStore(t)
	c := rawClient(t, srv)
	for _, v := range []uint64{3, 7} {
		snap := events.Snapshot{Stream: "agent-1", Version: v, Type: "test.State", SchemaVersion: 2, Payload: []byte{byte(v)}}
		if err := s.SaveSnapshot(context.Background(), snap); err != nil {
			t.Fatal(err)
		}
	}
	meta, err := c.GetStreamMetadata(context.Background(), "$snapshot-agent-1", kurrentdb.ReadStreamOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if mc := meta.MaxCount(); mc == nil || *mc != 1 {
		t.Errorf("$snapshot-agent-1 has $maxCount %v, want 1", mc)
	}
	raw := rawStream(t, c, "$snapshot-agent-1")
	if len(raw) != 1 || raw[0].EventType != "test.State" || raw[0].EventNumber != 1 {
		t.Fatalf("$snapshot-agent-1 reads as %d events, want only the newest snapshot, the stream's second", len(raw))
	}
	if h, _ := s.Head(context.Background()); h != 0 {
		t.Errorf("snapshots moved Hive's head to %d", h)
	}
	if all, _ := s.ReadAll(context.Background(), 0, 100); len(all) != 0 {
		t.Errorf("ReadAll shows %d events of snapshot streams", len(all))
	}
}

func TestSystemStreamNamesAreRefused(t *testing.T) {
	_, s := doubleStore(t)
	ctx := context.Background()
	if _, err := s.Append(ctx, "$stats", events.Any(), storetest.NewEvents(t, "x", 1)); !errors.Is(err, events.ErrInvalidArgument) {
		t.Errorf("Append to $stats: %v, want ErrInvalidArgument", err)
	}
	if _, err := s.ReadStream(ctx, "$stats", 1, events.Forward, 1); !errors.Is(err, events.ErrInvalidArgument) {
		t.Errorf("ReadStream of $stats: %v, want ErrInvalidArgument", err)
	}
	if err := s.SaveSnapshot(ctx, events.Snapshot{Stream: "$stats", Version: 1, Type: "t"}); !errors.Is(err, events.ErrInvalidArgument) {
		t.Errorf("SaveSnapshot of $stats: %v, want ErrInvalidArgument", err)
	}
	if _, err := s.LoadSnapshot(ctx, "$stats"); !errors.Is(err, events.ErrInvalidArgument) {
		t.Errorf("LoadSnapshot of $stats: %v, want ErrInvalidArgument", err)
	}
}

func TestForeignEventsAreReported(t *testing.T) {
	srv, s := doubleStore(t)
	storetest.MustAppend(t, s, "mine", events.NoStream(), storetest.NewEvents(t, "mine", 1))
	sub, err := s.SubscribeAll(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	receive(t, sub, 1)
	c := rawClient(t, srv)
	foreign := kurrentdb.EventData{EventID: uuid.New(), EventType: "Other", ContentType: kurrentdb.ContentTypeJson, Data: []byte(`{}`), Metadata: []byte(`{"app":"other"}`)}
	if _, err := c.AppendToStream(context.Background(), "theirs", kurrentdb.AppendToStreamOptions{}, foreign); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadStream(context.Background(), "theirs", 1, events.Forward, 10); !errors.Is(err, esdbstore.ErrForeignEvent) {
		t.Errorf("ReadStream of another application's stream: %v, want ErrForeignEvent", err)
	}
	if _, err := s.ReadAll(context.Background(), 0, 10); !errors.Is(err, esdbstore.ErrForeignEvent) {
		t.Errorf("ReadAll over another application's event: %v, want ErrForeignEvent", err)
	}
	if _, err := sub.Next(timeout(t, 10*time.Second)); !errors.Is(err, esdbstore.ErrForeignEvent) {
		t.Errorf("subscription reaching another application's event: %v, want ErrForeignEvent", err)
	}
}

func TestStreamPrefixSeparatesDeployments(t *testing.T) {
	srv := esdbdouble.Start(t)
	a := openStore(t, esdbstore.Config{URL: srv.URL(), StreamPrefix: "a-"})
	b := openStore(t, esdbstore.Config{URL: srv.URL(), StreamPrefix: "b-"})
	subB, err := b.SubscribeAll(context.Background(), 0)
	if err != nil {
		t.Fatal(err)
	}
	defer subB.Close()
	storetest.MustAppend(t, a, "agent-1", events.NoStream(), storetest.NewEvents(t, "a", 2))
	resB := storetest.MustAppend(t, b, "agent-1", events.NoStream(), storetest.NewEvents(t, "b", 1))
	storetest.MustAppend(t, a, "agent-2", events.NoStream(), storetest.NewEvents(t, "a", 1))
	if all, err := b.ReadAll(context.Background(), 0, 100); err != nil || len(all) != 1 || all[0].Stream != "agent-1" {
		t.Errorf("b's log = %v, %v; want its one event, in agent-1", all, err)
	}
	if h, _ := b.Head(context.Background()); h != resB.LastPosition {
		t.Errorf("b's head %d, want its event's %d", h, resB.LastPosition)
	}
	if got := receive(t, subB, 1); got[0].Position != resB.LastPosition {
		t.Errorf("b's subscription delivered %d, want %d", got[0].Position, resB.LastPosition)
	}
	if raw := rawStream(t, rawClient(t, srv), "a-agent-1"); len(raw) != 2 {
		t.Errorf("EventStoreDB's stream a-agent-1 holds %d events, want a's 2", len(raw))
	}
}

func TestAppendOverTheServersLimit(t *testing.T) {
	srv := esdbdouble.Start(t)
	tests := []struct {
		name string
		cfg  esdbstore.Config
		evs  int
		want string
	}{
		// Refused before it is sent.
		{"over the configured limit", esdbstore.Config{URL: srv.URL(), MaxEventSize: 4 << 20}, 3, "over EventStoreDB's limit"},
		// A store told the server takes more than it does: the server
		// refuses.
		{"over the server's limit", esdbstore.Config{URL: srv.URL(), MaxEventSize: 4 << 20, MaxAppendSize: 4 << 20}, 1, "EventStoreDB refused"},
	}
	for _, tc := range tests {
		s := openStore(t, tc.cfg)
		evs := storetest.NewEvents(t, "big", tc.evs)
		for i := range evs {
			evs[i].Payload = make([]byte, esdbdouble.DefaultMaxAppendSize*3/2/tc.evs)
		}
		_, err := s.Append(context.Background(), "big", events.NoStream(), evs)
		if !errors.Is(err, events.ErrInvalidArgument) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrInvalidArgument saying %q", tc.name, err, tc.want)
		}
		if _, err := s.ReadStream(context.Background(), "big", 1, events.Forward, 1); !errors.Is(err, events.ErrStreamNotFound) {
			t.Errorf("%s: after the refused append: %v, want ErrStreamNotFound", tc.name, err)
		}
	}
}
