package projections_test

import (
	"slices"
	"syscall"
	"testing"
	"time"

	"hive/actors/agent"
	"hive/actors/swarm"
	"hive/actors/timers"
	"hive/actors/workflow"
	"hive/events"
	"hive/projections"
)

// benchRuns is how many runs the history of the read-side benchmarks holds
// (about 75 events each).
const benchRuns = 100

// BenchmarkApply measures the read side's work for each committed event,
// on the history of a busy fleet (workload): each read model's Apply with
// the decoding of the events it uses; "decode", decoding each event alone;
// "all": every read model of a server and its deadline index, each event
// decoded once and applied to each in turn, as the runner does; and
// "all-decoded", the same with the events decoded before the clock starts:
// the read models' own work, apart from the one decoding they share.
// events/s is the figure to keep high: for "all", the most events a second
// the read side can follow on one core. The events are handed over in
// batches, fresh copies as a read of the store returns them, as the runner
// applies them. The cpu- figures divide the process's CPU time instead of
// the time that passed, which on a machine shared with other work is the
// steadier of the two.
func BenchmarkApply(b *testing.B) {
	log := workload(b, benchRuns).log
	for _, rm := range readModels {
		b.Run(rm.name, func(b *testing.B) {
			cpu := startCPU()
			for b.Loop() {
				p := rm.make()
				inBatches(log, func(batch []*events.Committed) { applyBatch(b, p, batch) })
			}
			reportPerEvent(b, cpu, len(log))
		})
	}
	b.Run("decode", func(b *testing.B) {
		cpu := startCPU()
		for b.Loop() {
			inBatches(log, func(batch []*events.Committed) {
				for _, c := range batch {
					if _, err := c.Message(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		reportPerEvent(b, cpu, len(log))
	})
	b.Run("all", func(b *testing.B) {
		cpu := startCPU()
		for b.Loop() {
			ps := serverProjections()
			inBatches(log, func(batch []*events.Committed) {
				for _, p := range ps {
					applyBatch(b, p, batch)
				}
			})
		}
		reportPerEvent(b, cpu, len(log))
	})
	b.Run("all-decoded", func(b *testing.B) {
		var batches [][]*events.Committed
		inBatches(log, func(batch []*events.Committed) {
			for _, c := range batch {
				if _, err := c.Message(); err != nil {
					b.Fatal(err)
				}
			}
			batches = append(batches, slices.Clone(batch))
		})
		cpu := startCPU()
		for b.Loop() {
			ps := serverProjections()
			for _, batch := range batches {
				for _, p := range ps {
					applyBatch(b, p, batch)
				}
			}
		}
		reportPerEvent(b, cpu, len(log))
	})
}

// benchBatch is the most events the runner applies at once.
const benchBatch = 256

// inBatches hands log to apply in batches, each event a fresh copy, as a
// read of the store returns it, and shared as the tail shares it.
func inBatches(log []*events.Envelope, apply func([]*events.Committed)) {
	batch := make([]*events.Committed, 0, benchBatch)
	for i := 0; i < len(log); i += benchBatch {
		batch = batch[:0]
		for _, env := range log[i:min(i+benchBatch, len(log))] {
			batch = append(batch, committed(env))
		}
		apply(batch)
	}
}

// applyBatch applies batch to p as the runner does.
func applyBatch(b *testing.B, p projections.Projection, batch []*events.Committed) {
	if bp, ok := p.(projections.Batcher); ok {
		if _, err := bp.ApplyBatch(batch); err != nil {
			b.Fatal(err)
		}
		return
	}
	for _, c := range batch {
		if err := p.Apply(c); err != nil {
			b.Fatal(err)
		}
	}
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

// reportPerEvent reports the time and the process's CPU time since cpu per
// event, perOp events an op.
func reportPerEvent(b *testing.B, cpu cpuClock, perOp int) {
	events := float64(b.N * perOp)
	used := cpu.since()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/events, "ns/event")
	b.ReportMetric(events/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(used.Nanoseconds())/events, "cpu-ns/event")
	b.ReportMetric(events/used.Seconds(), "events/cpu-s")
}

// cpuClock reads the CPU time the process used, in all its threads (the
// garbage collector's too), from a start.
type cpuClock struct{ start time.Duration }

func startCPU() cpuClock { return cpuClock{start: cpuUsed()} }

func (c cpuClock) since() time.Duration { return cpuUsed() - c.start }

func cpuUsed() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
