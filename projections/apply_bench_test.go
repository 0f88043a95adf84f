package projections_test

import (
	"testing"
)

// BenchmarkApply measures each read model's Apply, which runs for every
// committed event, on the fleet's history of real decisions: ns/event is
// the figure to keep low (a few microseconds at most).
func BenchmarkApply(b *testing.B) {
	log := fleet(b).log
	for _, rm := range readModels {
		b.Run(rm.name, func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				p := rm.make()
				b.StartTimer()
				applyAll(b, p, log)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(log)), "ns/event")
		})
	}
}
