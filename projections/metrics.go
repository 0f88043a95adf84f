package projections

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	positionDesc = prometheus.NewDesc("hive_projection_position",
		"Global position of the last event a projection applied.", []string{"projection"}, nil)
	lagDesc = prometheus.NewDesc("hive_projection_lag_positions",
		"How far a projection is behind the head of the event log, in global positions.", []string{"projection"}, nil)
	lagSecondsDesc = prometheus.NewDesc("hive_projection_lag_seconds",
		"How much older the last event a projection applied is than the newest event of the log; 0 when caught up.", []string{"projection"}, nil)
	savedDesc = prometheus.NewDesc("hive_projection_saved_position",
		"Checkpoint of a persistent projection's last saved state.", []string{"projection"}, nil)
	failedDesc = prometheus.NewDesc("hive_projection_failed",
		"1 if a projection stopped on an event it could not apply.", []string{"projection"}, nil)
	headDesc = prometheus.NewDesc("hive_store_head_position",
		"Global position of the newest event in the log.", nil, nil)
)

// headTimeout bounds the read of the log's head during a scrape.
const headTimeout = time.Second

// collector reports the runner's progress at scrape time.
type collector struct{ r *Runner }

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{positionDesc, lagDesc, lagSecondsDesc, savedDesc, failedDesc, headDesc} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), headTimeout)
	defer cancel()
	head, err := c.r.log.Head(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(headDesc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(headDesc, prometheus.GaugeValue, float64(head))
	for i, l := range c.r.lag(head) {
		failed := 0.0
		if l.Error != "" {
			failed = 1
		}
		ch <- prometheus.MustNewConstMetric(positionDesc, prometheus.GaugeValue, float64(l.Position), l.Projection)
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(l.BehindPositions), l.Projection)
		ch <- prometheus.MustNewConstMetric(lagSecondsDesc, prometheus.GaugeValue, l.BehindSeconds, l.Projection)
		ch <- prometheus.MustNewConstMetric(failedDesc, prometheus.GaugeValue, failed, l.Projection)
		if _, ok := c.r.tracked[i].Projection.(Persistent); ok && c.r.opts.States != nil {
			ch <- prometheus.MustNewConstMetric(savedDesc, prometheus.GaugeValue, float64(c.r.tracked[i].saved.Load()), l.Projection)
		}
	}
}
