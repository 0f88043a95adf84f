package live

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the hub's Prometheus metrics.
type metrics struct {
	clients   prometheus.Gauge
	received  prometheus.Counter
	delivered prometheus.Counter
	dropped   *prometheus.CounterVec
	ring      prometheus.Gauge
	ringBytes prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		clients: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hive_live_clients",
			Help: "Live streams (GET /v1/live) open."}),
		received: prometheus.NewCounter(prometheus.CounterOpts{Name: "hive_live_changes_received_total",
			Help: "Read-model changes the live hub received and numbered."}),
		delivered: prometheus.NewCounter(prometheus.CounterOpts{Name: "hive_live_changes_delivered_total",
			Help: "Changes handed to live streams (one per change and stream following its topic, resumed ones included)."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hive_live_clients_dropped_total",
			Help: "Live streams ended with a resync event, by reason (slow, too_old, unknown_id)."}, []string{"reason"}),
		ring: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hive_live_ring_changes",
			Help: "Changes kept by the live hub for resuming streams."}),
		ringBytes: prometheus.NewGauge(prometheus.GaugeOpts{Name: "hive_live_ring_bytes",
			Help: "Bytes of the encoded changes the live hub keeps for resuming streams."}),
	}
	for _, c := range []prometheus.Collector{m.clients, m.received, m.delivered, m.dropped, m.ring, m.ringBytes} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register live metrics: %w", err)
		}
	}
	for _, reason := range []string{ReasonSlow, ReasonTooOld, ReasonUnknownID} {
		m.dropped.WithLabelValues(reason) // listed, at 0, before the first
	}
	return m, nil
}
