package actors

import (
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hive/actors/decision"
)

// Outcomes of a command, as counted in hive_commands_total.
const (
	outcomeAccepted = "accepted" // decided, and its events (if any) appended
	outcomeRejected = "rejected" // refused by the entity's decision
	outcomeFailed   = "failed"   // not handled: store or runtime trouble
)

type metrics struct {
	commands *prometheus.CounterVec
	duration *prometheus.HistogramVec
	live     *prometheus.GaugeVec
}

// newMetrics registers the runtime's metrics with reg, with a series of
// hive_commands_total, at 0, for each command of kinds (and Inspect) and
// each outcome, so that a failure is a change of a listed series rather
// than a new one.
func newMetrics(reg prometheus.Registerer, kinds []Kind) (*metrics, error) {
	m := &metrics{
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hive_commands_total",
			Help: "Commands handled by entities, by entity kind, command and outcome (accepted, rejected, failed).",
		}, []string{"kind", "command", "outcome"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hive_command_duration_seconds",
			Help:    "Time from sending a command to its entity's answer, by entity kind.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2, 16),
		}, []string{"kind"}),
		live: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "hive_entity_actors",
			Help: "Entity actors currently in memory, by entity kind.",
		}, []string{"kind"}),
	}
	for _, c := range []prometheus.Collector{m.commands, m.duration, m.live} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register actor metrics: %w", err)
		}
	}
	for _, k := range kinds {
		for _, body := range append([]Body{Inspect{}}, k.Commands...) {
			for _, outcome := range []string{outcomeAccepted, outcomeRejected, outcomeFailed} {
				m.commands.WithLabelValues(k.Name, body.CommandName(), outcome)
			}
		}
	}
	return m, nil
}

func (m *metrics) observe(kind string, body Body, err error, took time.Duration) {
	outcome := outcomeAccepted
	switch {
	case err == nil:
	case errors.Is(err, decision.ErrInvalid), errors.Is(err, decision.ErrConflict), errors.Is(err, decision.ErrNotFound),
		errors.Is(err, ErrVersionMismatch):
		outcome = outcomeRejected
	default:
		outcome = outcomeFailed
	}
	name := "unknown"
	if body != nil {
		name = body.CommandName()
	}
	m.commands.WithLabelValues(kind, name, outcome).Inc()
	m.duration.WithLabelValues(kind).Observe(took.Seconds())
}
