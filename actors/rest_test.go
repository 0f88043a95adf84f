package actors_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"hive/actors"
	"hive/events/memstore"
)

// capped is a counter that comes to rest once its total reaches 100.
type capped struct{ counter }

func (c *capped) Resting() bool { return c.total >= 100 }

var cappedKind = actors.Kind{Name: "capped", New: func() actors.Entity { return &capped{} }}

func TestEntitiesAtRestArePassivatedAtOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	sys, err := actors.New(actors.Config{IdleTimeout: time.Hour}, memstore.New(0), []actors.Kind{cappedKind}, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sys.Shutdown)
	send := func(id string, n int64) (actors.Result, error) {
		return sys.Ask(context.Background(), actors.Ref{Kind: "capped", ID: id}, actors.Command{ID: fmt.Sprint("c", n), Body: add{n: n}})
	}
	live := func() float64 { return testutil.ToFloat64(gauge(t, reg, "hive_entity_actors", "capped")) }
	waitLive := func(want float64) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for live() != want {
			if time.Now().After(deadline) {
				t.Fatalf("%v capped actors live, want %v", live(), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	if _, err := send("a", 60); err != nil {
		t.Fatal(err)
	}
	waitLive(1) // at work: kept until the idle timeout
	// Concurrent commands around the moment it comes to rest: none is
	// lost, whether it reaches the actor before or after passivation.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 10 {
				if _, err := send("a", 1); err != nil {
					t.Errorf("add: %v", err)
				}
			}
		})
	}
	wg.Wait()
	waitLive(0)
	res, err := sys.Ask(context.Background(), actors.Ref{Kind: "capped", ID: "a"}, actors.Command{ID: "inspect", Body: actors.Inspect{}})
	if err != nil {
		t.Fatal(err)
	}
	if res.State.(int64) != 140 {
		t.Fatalf("total %v, want 140", res.State)
	}
	waitLive(0) // answered by a fresh actor, which rests again at once
}
