package events

import (
	"context"
	"errors"
	"fmt"
	"slices"
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
	for _, k := range failureKinds() {
		m.failures.WithLabelValues(k.reason) // listed, at 0, before the first failure
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

// failureKind is a reason hive_store_append_failures_total counts an
// append's error under, and the errors it stands for.
type failureKind struct {
	reason string
	errs   []error
}

// otherFailure is the reason of an append error of no other kind.
const otherFailure = "error"

// failureKinds are the reasons of append errors, in the order
// failureReason tries them; the last, otherFailure, matches none.
func failureKinds() []failureKind {
	return []failureKind{
		{"wrong_expected_version", []error{ErrWrongExpectedVersion}},
		{"duplicate_event_id", []error{ErrDuplicateEventID}},
		{"event_too_large", []error{ErrEventTooLarge}},
		{"invalid_argument", []error{ErrInvalidArgument}},
		{"canceled", []error{context.Canceled, context.DeadlineExceeded}},
		{"closed", []error{ErrClosed}},
		{otherFailure, nil},
	}
}

func failureReason(err error) string {
	for _, k := range failureKinds() {
		if slices.ContainsFunc(k.errs, func(target error) bool { return errors.Is(err, target) }) {
			return k.reason
		}
	}
	return otherFailure
}
