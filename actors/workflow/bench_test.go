package workflow_test

import (
	"fmt"
	"testing"

	"hive/actors/decision"
	"hive/actors/workflow"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// BenchmarkRun100Steps drives the pure decisions of whole runs: Start,
// then CompleteStep for each dispatched step, applying every decided event,
// until the run completes. It reports steps completed per second.
func BenchmarkRun100Steps(b *testing.B) {
	b.Run("wide", func(b *testing.B) { benchmarkRun(b, wide(100)) })
	b.Run("deep", func(b *testing.B) { benchmarkRun(b, chain(100)) })
}

// BenchmarkRun1000Steps is BenchmarkRun100Steps at decision.MaxSteps:
// steps/s close to the 100-step figures show the cost per step does not
// grow with the run.
func BenchmarkRun1000Steps(b *testing.B) {
	b.Run("wide", func(b *testing.B) { benchmarkRun(b, wide(decision.MaxSteps)) })
	b.Run("deep", func(b *testing.B) { benchmarkRun(b, chain(decision.MaxSteps)) })
	b.Run("fan-in", func(b *testing.B) { benchmarkRun(b, fanIn(decision.MaxSteps)) })
}

// BenchmarkView1000Steps measures View of a completed run of
// decision.MaxSteps steps with small outputs; the runtime takes a view
// after every command.
func BenchmarkView1000Steps(b *testing.B) {
	s := runToCompletion(b, wide(decision.MaxSteps))
	b.ResetTimer()
	for b.Loop() {
		_ = s.View()
	}
}

func benchmarkRun(b *testing.B, steps []workflow.Step) {
	b.ReportAllocs()
	for b.Loop() {
		runToCompletion(b, steps)
	}
	b.ReportMetric(float64(len(steps))*float64(b.N)/b.Elapsed().Seconds(), "steps/s")
}

// runToCompletion runs steps, completing each dispatched step in turn.
func runToCompletion(tb testing.TB, steps []workflow.Step) *workflow.State {
	s := &workflow.State{}
	env := &events.Envelope{}
	var queue []string
	handle := func(c any) {
		evs, err := s.Decide(c)
		if err != nil {
			tb.Fatal(err)
		}
		for _, m := range evs {
			env.Version++
			if err := s.Apply(env, m); err != nil {
				tb.Fatal(err)
			}
			if d, ok := m.(*hivev1.StepDispatched); ok {
				queue = append(queue, d.GetKey())
			}
		}
	}
	handle(workflow.Start{RunID: runID, SwarmID: swarm, Steps: steps, At: t0})
	for len(queue) > 0 {
		k := queue[0]
		queue = queue[1:]
		handle(workflow.CompleteStep{Key: k, TaskID: "t", AgentID: "a", Output: []byte(`{"ok":true}`), At: t0})
	}
	if s.Status != workflow.StatusCompleted {
		tb.Fatalf("run ended %s", s.Status)
	}
	return s
}

// wide is n independent steps.
func wide(n int) []workflow.Step {
	steps := make([]workflow.Step, n)
	for i := range steps {
		steps[i] = workflow.Step{ID: fmt.Sprintf("s%d", i)}
	}
	return steps
}

// fanIn is n-1 independent steps and one that depends on them all.
func fanIn(n int) []workflow.Step {
	steps := wide(n)
	last := &steps[n-1]
	for _, st := range steps[:n-1] {
		last.DependsOn = append(last.DependsOn, st.ID)
	}
	return steps
}

// BenchmarkValidateStart measures Start.Validate of a run of
// decision.MaxSteps steps, which the API runs before the command reaches
// the run's actor and the actor runs again: linear in the steps, it
// reports the steps checked per second.
func BenchmarkValidateStart(b *testing.B) {
	for _, bc := range []struct {
		name  string
		steps []workflow.Step
	}{{"deep", chain(decision.MaxSteps)}, {"fan-in", fanIn(decision.MaxSteps)}} {
		b.Run(bc.name, func(b *testing.B) {
			start := workflow.Start{RunID: runID, SwarmID: swarm, Steps: bc.steps, At: t0}
			b.ReportAllocs()
			for b.Loop() {
				if err := start.Validate(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(bc.steps))*float64(b.N)/b.Elapsed().Seconds(), "steps/s")
		})
	}
}
