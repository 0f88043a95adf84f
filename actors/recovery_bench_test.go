package actors

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"hive/events"
	"hive/events/pebblestore"
)

// benchTally is a minimal snapshotting entity: the sum of its events.
type benchTally struct{ sum int64 }

func (b *benchTally) Apply(_ *events.Envelope, msg proto.Message) error {
	b.sum += msg.(*wrapperspb.Int64Value).GetValue()
	return nil
}
func (b benchTally) Decide(any) ([]proto.Message, error) { return nil, nil }
func (b *benchTally) View() any                          { return b.sum }
func (b *benchTally) Snapshot() (proto.Message, error)   { return wrapperspb.Int64(b.sum), nil }
func (b *benchTally) Restore(m proto.Message, _ uint64) error {
	b.sum = m.(*wrapperspb.Int64Value).GetValue()
	return nil
}

const recoveryEvents = 10_000

// BenchmarkRecovery measures recovering an entity with 10,000 events on the
// embedded store: from its newest snapshot, taken every DefaultSnapshotEvery
// events and here as far behind the head as that allows (99 events to
// apply), and from the whole stream.
func BenchmarkRecovery(b *testing.B) {
	store, err := pebblestore.Open(pebblestore.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = store.Close() })
	ctx := context.Background()
	ref := Ref{Kind: "tally", ID: "bench"}
	for v := 0; v < recoveryEvents; v += 100 {
		evs := make([]events.Event, 100)
		for i := range evs {
			if evs[i], err = events.NewEvent(wrapperspb.Int64(1), events.Metadata{}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := store.Append(ctx, ref.Stream(), events.Exact(uint64(v)), evs); err != nil {
			b.Fatal(err)
		}
	}
	snapAt := uint64(recoveryEvents - DefaultSnapshotEvery + 1)
	payload, err := proto.Marshal(wrapperspb.Int64(int64(snapAt)))
	if err != nil {
		b.Fatal(err)
	}
	for _, withSnapshot := range []bool{true, false} {
		var es EventStore = store
		if !withSnapshot {
			es = struct{ EventStore }{store} // hides the snapshot capability
		} else if err := store.SaveSnapshot(ctx, events.Snapshot{Stream: ref.Stream(), Version: snapAt,
			Type: "google.protobuf.Int64Value", SchemaVersion: 1, Payload: payload}); err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("snapshot=%v", withSnapshot), func(b *testing.B) {
			cfg := Config{}
			cfg.setDefaults()
			a := newEntityActor(ref, func() Entity { return &benchTally{} }, es, cfg, slog.New(slog.DiscardHandler))
			start := time.Now()
			for b.Loop() {
				if err := a.recover(ctx); err != nil {
					b.Fatal(err)
				}
			}
			if a.version != recoveryEvents || a.entity.View().(int64) != recoveryEvents {
				b.Fatalf("recovered to version %d with sum %v, want %d", a.version, a.entity.View(), recoveryEvents)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(b.N), "ms/recovery")
		})
	}
}
