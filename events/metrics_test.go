package events_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"hive/events"
	"hive/events/memstore"
)

func TestWithMetricsCountsAppendsAndFailures(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := events.WithMetrics(memstore.New(0), reg)
	if err != nil {
		t.Fatal(err)
	}
	ev := func() events.Event {
		id, err := events.NewEventID()
		if err != nil {
			t.Fatal(err)
		}
		return events.Event{ID: id, Type: "t", Payload: []byte("p")}
	}
	if _, err := s.Append(context.Background(), "s", events.NoStream(), []events.Event{ev(), ev()}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), "s", events.NoStream(), []events.Event{ev()}); err == nil {
		t.Fatal("conflicting append succeeded")
	}
	want := `# HELP hive_store_events_appended_total Events durably appended to the event store.
# TYPE hive_store_events_appended_total counter
hive_store_events_appended_total 2
# HELP hive_store_append_failures_total Appends refused or failed, by reason.
# TYPE hive_store_append_failures_total counter
hive_store_append_failures_total{reason="canceled"} 0
hive_store_append_failures_total{reason="closed"} 0
hive_store_append_failures_total{reason="duplicate_event_id"} 0
hive_store_append_failures_total{reason="error"} 0
hive_store_append_failures_total{reason="event_too_large"} 0
hive_store_append_failures_total{reason="invalid_argument"} 0
hive_store_append_failures_total{reason="wrong_expected_version"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "hive_store_events_appended_total", "hive_store_append_failures_total"); err != nil {
		t.Error(err)
	}
	if _, ok := s.(events.SnapshotStore); !ok {
		t.Error("the metered store lost the snapshot capability")
	}
	if n := testutil.CollectAndCount(reg, "hive_store_append_duration_seconds"); n != 1 {
		t.Errorf("append latency histogram has %d series, want 1", n)
	}
}
