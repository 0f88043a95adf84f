package reactions

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Results of sending a reaction, as counted in hive_reactions_total.
const (
	resultHandled  = "handled"  // the entity handled it
	resultRejected = "rejected" // the entity decided no
	resultRetried  = "retried"  // it failed otherwise, and is sent again
)

type metrics struct {
	position prometheus.Gauge
	sent     *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		position: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "hive_reactions_position",
			Help: "Global position of the last event whose reactions were handled.",
		}),
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hive_reactions_total",
			Help: "Reactions sent to entities, by result: handled, rejected (the entity decided no), retried (failed otherwise; sent again).",
		}, []string{"result"}),
	}
	for _, c := range []prometheus.Collector{m.position, m.sent} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register reactions metrics: %w", err)
		}
	}
	for _, result := range []string{resultHandled, resultRejected, resultRetried} {
		m.sent.WithLabelValues(result) // listed, at 0, before the first
	}
	return m, nil
}
