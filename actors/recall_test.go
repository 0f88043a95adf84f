package actors_test

import (
	"context"
	"fmt"
	"log/slog"
	"reflect"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"hive/actors"
	"hive/events"
	"hive/events/memstore"
)

// lastThree is a counter that remembers the last three amounts added; its
// snapshot holds the total and leaves the three to be recalled.
type lastThree struct {
	counter
	recent     []int64
	at         []uint64 // the versions that added recent
	recallFrom uint64
	version    uint64
}

func (l *lastThree) Apply(env *events.Envelope, msg proto.Message) error {
	l.remember(env.Version, msg.(*wrapperspb.Int64Value).GetValue())
	l.version = env.Version
	return l.counter.Apply(env, msg)
}

func (l *lastThree) remember(v uint64, n int64) {
	l.recent, l.at = append(l.recent, n), append(l.at, v)
	if len(l.recent) > 3 {
		l.recent, l.at = l.recent[1:], l.at[1:]
	}
}

func (l *lastThree) View() any { return fmt.Sprint(l.total, l.recent) }

func (l *lastThree) Snapshot() (proto.Message, error) {
	return structpb.NewStruct(map[string]any{"total": float64(l.total), "from": float64(l.at[0])})
}

func (l *lastThree) Restore(msg proto.Message, version uint64) error {
	f := msg.(*structpb.Struct).GetFields()
	*l = lastThree{counter: counter{total: int64(f["total"].GetNumberValue())}, recallFrom: uint64(f["from"].GetNumberValue()), version: version}
	return nil
}

func (l *lastThree) RecallFrom() uint64 { return l.recallFrom }

func (l *lastThree) Recall(env *events.Envelope, msg proto.Message) error {
	if env.Version < l.recallFrom || env.Version > l.version {
		return fmt.Errorf("recall of version %d", env.Version)
	}
	l.remember(env.Version, msg.(*wrapperspb.Int64Value).GetValue())
	return nil
}

var _ actors.Recaller = (*lastThree)(nil)

// TestRecoveryRecallsWhatTheSnapshotLeftOut checks that an entity
// recovered from a snapshot that leaves out a memory of its recent past
// is handed the events before the snapshot that rebuild it.
func TestRecoveryRecallsWhatTheSnapshotLeftOut(t *testing.T) {
	store := memstore.New(0)
	kind := actors.Kind{Name: "three", New: func() actors.Entity { return &lastThree{} }}
	newSys := func() *actors.System {
		sys, err := actors.New(actors.Config{SnapshotEvery: 5}, store, []actors.Kind{kind}, slog.New(slog.DiscardHandler), prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(sys.Shutdown)
		return sys
	}
	ref := actors.Ref{Kind: "three", ID: "x"}
	sys := newSys()
	// Add until a snapshot is taken at the last event, beyond the first
	// three: the three amounts then come back only by being recalled.
	var held actors.Result
	for i := 0; ; i++ {
		var err error
		if held, err = sys.Ask(context.Background(), ref, actors.Command{ID: fmt.Sprint("c", i), Body: add{n: int64(i + 1)}}); err != nil {
			t.Fatal(err)
		}
		snap, err := store.LoadSnapshot(context.Background(), ref.Stream())
		if err == nil && snap.Version > 3 && snap.Version == held.LastVersion {
			break
		}
		if i == 1000 {
			t.Fatalf("no snapshot taken at the last event in %d events (%v)", i+1, err)
		}
	}
	n := int64(held.LastVersion)
	if want := fmt.Sprint(n*(n+1)/2, []int64{n - 2, n - 1, n}); held.State != want {
		t.Fatalf("held %v, want %v", held.State, want)
	}
	recovered, err := newSys().Ask(context.Background(), ref, actors.Command{ID: "inspect", Body: actors.Inspect{}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(recovered.State, held.State) {
		t.Fatalf("recovered %v, want %v", recovered.State, held.State)
	}
}
