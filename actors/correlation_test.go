package actors_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"hive/actors"
	"hive/events"
	"hive/events/memstore"
)

// thread is a test entity whose events keep the correlation id of the
// command that decided its first event: an actors.Correlator.
type thread struct {
	corr string
	n    int
}

type post struct{}

func (post) CommandName() string { return "Post" }

func (t *thread) Apply(env *events.Envelope, _ proto.Message) error {
	if t.n == 0 {
		t.corr = env.CorrelationID
	}
	t.n++
	return nil
}

func (t *thread) Decide(any) ([]proto.Message, error) {
	return []proto.Message{wrapperspb.Int64(1), wrapperspb.Int64(2)}, nil
}

func (t *thread) View() any { return t.n }

func (t *thread) CorrelationOf(proto.Message) string { return t.corr }

// TestACorrelatorKeepsItsCorrelation: the events of an entity that is an
// actors.Correlator carry the correlation id it gives them, whatever the
// command's, and the command's id as their causation id; an entity's
// first decision, before it has one, carries the command's.
func TestACorrelatorKeepsItsCorrelation(t *testing.T) {
	store := memstore.New(0)
	kind := actors.Kind{Name: "thread", New: func() actors.Entity { return &thread{} }}
	sys, err := actors.New(actors.Config{}, store, []actors.Kind{kind}, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Shutdown)
	ref := actors.Ref{Kind: "thread", ID: "t1"}
	for _, cmd := range []actors.Command{
		{ID: "start", CorrelationID: "rel-42", Body: post{}},
		{ID: "reply", CorrelationID: "other", Body: post{}},
		{ID: "again", Body: post{}},
	} {
		if _, err := sys.Ask(context.Background(), ref, cmd); err != nil {
			t.Fatal(err)
		}
	}
	got, err := store.ReadStream(context.Background(), ref.Stream(), 1, events.Forward, 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"start", "start", "reply", "reply", "again", "again"}
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d", len(got), len(want))
	}
	for i, e := range got {
		if e.CorrelationID != "rel-42" || e.CausationID != want[i] {
			t.Errorf("event %d: correlation %q, causation %q; want rel-42, %s", i+1, e.CorrelationID, e.CausationID, want[i])
		}
	}
}
