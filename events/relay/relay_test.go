package relay_test

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"
	"github.com/prometheus/client_golang/prometheus"

	"hive/events"
	"hive/events/eventpb"
	"hive/events/memstore"
	"hive/events/relay"
)

func appendOne(t *testing.T, s events.Store, stream string) events.AppendResult {
	t.Helper()
	id, err := events.NewEventID()
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Append(context.Background(), stream, events.Any(), []events.Event{{ID: id, Type: "test.Event", Payload: []byte(stream)}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestRelayPublishesCommittedEventsInOrder(t *testing.T) {
	store := memstore.New(0)
	before := appendOne(t, store, "before") // at or before the start position: not published
	bus := gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, watermill.NewSlogLogger(slog.New(slog.DiscardHandler)))
	t.Cleanup(func() { _ = bus.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	msgs, err := bus.Subscribe(ctx, relay.DefaultTopic)
	if err != nil {
		t.Fatal(err)
	}
	r, err := relay.New(relay.Config{}, store, bus, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(runCtx, before.LastPosition) }()

	var want []events.AppendResult
	for i := 0; i < 50; i++ {
		want = append(want, appendOne(t, store, fmt.Sprintf("s-%d", i%3)))
	}
	prev := before.LastPosition
	for i, w := range want {
		msg := <-msgs
		msg.Ack()
		var env events.Envelope
		if err := eventpb.Unmarshal(msg.Payload, &env); err != nil {
			t.Fatal(err)
		}
		pos, _ := strconv.ParseUint(msg.Metadata.Get(relay.MetaPosition), 10, 64)
		if env.Position != w.LastPosition || pos != w.LastPosition || msg.UUID != env.ID.String() || msg.Metadata.Get(relay.MetaType) != "test.Event" {
			t.Fatalf("message %d: position %d (metadata %d), want %d", i, env.Position, pos, w.LastPosition)
		}
		if got := msg.Metadata.Get(relay.MetaPrevious); got != strconv.FormatUint(prev, 10) {
			t.Fatalf("message %d: previous %s, want %d", i, got, prev)
		}
		prev = w.LastPosition
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel = %v", err)
	}
}
