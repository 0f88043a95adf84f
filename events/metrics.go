package events

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metered decorates a Store with Prometheus metrics of its appends.
type metered struct {
	Store
	appended prometheus.Counter
	latency  prometheus.Histogram
	failures *prometheus.CounterVec
}

// WithMetrics returns s with its appends measured (and, if s is a
// SnapshotStore, still one), registering with reg:
// hive_store_events_appended_total, hive_store_append_duration_seconds and
// hive_store_append_failures_total by reason.
func WithMetrics(s Store, reg prometheus.Registerer) (Store, error) {
	m := &metered{
		Store: s,
		appended: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hive_store_events_appended_total",
			Help: "Events durably appended to the event store.",
		}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "hive_store_append_duration_seconds",
			Help:    "Time for an append to become durable, including the wait for its group commit.",
			Buckets: prometheus.ExponentialBuckets(0.00005, 2, 16),
		}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hive_store_append_failures_total",
			Help: "Appends refused or failed, by reason.",
		}, []string{"reason"}),
	}
	for _, c := range []prometheus.Collector{m.appended, m.latency, m.failures} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register store metrics: %w", err)
		}
	}
	if ss, ok := s.(SnapshotStore); ok {
		return &meteredSnapshots{metered: m, SnapshotStore: ss}, nil
	}
	return m, nil
}

// meteredSnapshots is a metered store that keeps its store's snapshot
// capability.
type meteredSnapshots struct {
	*metered
	SnapshotStore
}

// Append implements Store.
func (m *metered) Append(ctx context.Context, stream string, expected ExpectedVersion, evs []Event) (AppendResult, error) {
	start := time.Now()
	res, err := m.Store.Append(ctx, stream, expected, evs)
	m.latency.Observe(time.Since(start).Seconds())
	if err != nil {
		m.failures.WithLabelValues(failureReason(err)).Inc()
		return res, err
	}
	m.appended.Add(float64(len(evs)))
	return res, nil
}

func failureReason(err error) string {
	switch {
	case errors.Is(err, ErrWrongExpectedVersion):
		return "wrong_expected_version"
	case errors.Is(err, ErrDuplicateEventID):
		return "duplicate_event_id"
	case errors.Is(err, ErrEventTooLarge):
		return "event_too_large"
	case errors.Is(err, ErrInvalidArgument):
		return "invalid_argument"
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	case errors.Is(err, ErrClosed):
		return "closed"
	default:
		return "error"
	}
}
