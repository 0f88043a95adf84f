package projections_test

import (
	"testing"

	"hive/actors/agent"
	"hive/actors/swarm"
	"hive/actors/timers"
	"hive/actors/workflow"
	"hive/projections"
)

// benchRuns is how many runs the history of the read-side benchmarks holds
// (about 75 events each).
const benchRuns = 400

// BenchmarkApply measures each read model's Apply, which runs for every
// committed event, on the history of a busy fleet (workload), and "all":
// every read model of a server and its deadline index, each event applied
// to each in turn and decoded once for all, as the runner does. events/s is the figure to keep
// high: for "all", the most events a second the read side can follow on
// one core.
func BenchmarkApply(b *testing.B) {
	log := workload(b, benchRuns).log
	for _, rm := range readModels {
		b.Run(rm.name, func(b *testing.B) {
			for b.Loop() {
				applyAll(b, rm.make(), log)
			}
			reportPerEvent(b, len(log))
		})
	}
	b.Run("all", func(b *testing.B) {
		for b.Loop() {
			ps := serverProjections()
			for _, env := range log {
				c := committed(env) // as the tail hands it to every projection
				for _, p := range ps {
					if err := p.Apply(c); err != nil {
						b.Fatal(err)
					}
				}
			}
		}
		reportPerEvent(b, len(log))
	})
}

// serverProjections are the read models and the deadline index of a
// server, as cmd/hive gives them to its runner.
func serverProjections() []projections.Projection {
	ps := []projections.Projection{timers.NewIndex(
		timers.Kind{Name: agent.Kind, Deadlines: agent.Deadlines},
		timers.Kind{Name: swarm.Kind, Deadlines: swarm.Deadlines},
		timers.Kind{Name: workflow.Kind, Deadlines: workflow.Deadlines},
	)}
	for _, rm := range readModels {
		ps = append(ps, rm.make())
	}
	return ps
}

func reportPerEvent(b *testing.B, perOp int) {
	events := float64(b.N * perOp)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
}
