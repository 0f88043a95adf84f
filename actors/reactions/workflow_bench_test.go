package reactions_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/reactions"
	"hive/actors/swarm"
	"hive/actors/workflow"
	"hive/events"
	"hive/events/pebblestore"
	hivev1 "hive/proto/hive/v1"
)

// BenchmarkWorkflow1000Steps runs a 1,000-step workflow to completion on the
// embedded store, with the reactions router carrying work between the run,
// its swarm and 16 simulated in-process agents that complete each task as
// soon as it is assigned to them. It reports the end-to-end time and the
// events the run caused per second.
func BenchmarkWorkflow1000Steps(b *testing.B) {
	for _, shape := range []string{"wide", "deep"} {
		b.Run(shape, func(b *testing.B) {
			for range b.N {
				elapsed, evs := runWorkflow(b, shapedSteps(shape, 1000))
				b.ReportMetric(elapsed.Seconds(), "s/run")
				b.ReportMetric(float64(evs)/elapsed.Seconds(), "events/s")
			}
		})
	}
}

func shapedSteps(shape string, n int) []workflow.Step {
	steps := make([]workflow.Step, n)
	for i := range steps {
		steps[i] = workflow.Step{ID: fmt.Sprint("s", i), Capability: "code"}
		if shape == "deep" && i > 0 {
			steps[i].DependsOn = []string{fmt.Sprint("s", i-1)}
		}
	}
	return steps
}

// runWorkflow runs steps on a fresh Hive and returns how long the run took
// from start to completion and how many events were appended meanwhile.
func runWorkflow(b *testing.B, steps []workflow.Step) (time.Duration, uint64) {
	b.StopTimer()
	store, err := pebblestore.Open(pebblestore.Config{Dir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	kinds := []actors.Kind{
		{Name: agent.Kind, New: func() actors.Entity { return &agent.State{} }},
		{Name: swarm.Kind, New: func() actors.Entity { return &swarm.State{} }},
		{Name: workflow.Kind, New: func() actors.Entity { return &workflow.State{} }},
	}
	logger := slog.New(slog.DiscardHandler)
	sys, err := actors.New(actors.Config{}, store, kinds, logger, prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	defer sys.Shutdown()
	router, err := reactions.New(reactions.Config{}, store, sys, reactions.Rules, logger, prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Add(2)
	go func() { defer wg.Done(); _ = router.Run(ctx) }()
	ask := func(ref actors.Ref, body actors.Body) actors.Result {
		res, err := sys.Ask(ctx, ref, actors.Command{ID: "bench", Principal: "bench", Body: body, SkipState: true})
		if err != nil {
			b.Fatalf("%s %s: %v", ref, body.CommandName(), err)
		}
		return res
	}
	swarmID := swarm.IDFor("bench")
	ask(actors.Ref{Kind: swarm.Kind, ID: swarmID}, swarm.Create{Name: "bench", Topology: swarm.Mesh, At: time.Now()})
	for i := range 16 {
		name := fmt.Sprint("agent-", i)
		id := agent.IDFor(name)
		ask(actors.Ref{Kind: agent.Kind, ID: id}, agent.Register{Name: name, Capabilities: []string{"code"}, MaxConcurrency: 4, At: time.Now()})
		ask(actors.Ref{Kind: agent.Kind, ID: id}, agent.JoinSwarm{SwarmID: swarmID})
	}
	head, err := store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer wg.Done(); simulateAgents(ctx, b, store, sys, head, done) }()

	b.StartTimer()
	start := time.Now()
	runID := "0193a0c4-0000-7000-8000-00000000b000"
	ask(actors.Ref{Kind: workflow.Kind, ID: runID}, workflow.Start{RunID: runID, Name: "bench", SwarmID: swarmID, Steps: steps, At: time.Now()})
	select {
	case <-done:
	case <-time.After(5 * time.Minute):
		b.Fatal("the run did not complete in 5 minutes")
	}
	elapsed := time.Since(start)
	b.StopTimer()
	last, err := store.Head(ctx)
	if err != nil {
		b.Fatal(err)
	}
	return elapsed, last - head
}

// simulateAgents follows the log from after: every task assigned is
// completed by its agent at once; done is closed when a run completes.
func simulateAgents(ctx context.Context, b *testing.B, store events.Store, sys *actors.System, after uint64, done chan<- struct{}) {
	sub, err := store.SubscribeAll(ctx, after)
	if err != nil {
		b.Error(err)
		return
	}
	defer sub.Close()
	var work sync.WaitGroup
	defer work.Wait()
	for {
		env, err := sub.Next(ctx)
		if err != nil {
			return
		}
		switch env.Type {
		case "hive.v1.RunCompleted":
			close(done)
			return
		case "hive.v1.TaskAssigned":
		default:
			continue
		}
		msg, err := events.Decode(&env)
		if err != nil {
			b.Error(err)
			return
		}
		m := msg.(*hivev1.TaskAssigned)
		work.Add(1)
		go func() {
			defer work.Done()
			_, err := sys.Ask(ctx, actors.Ref{Kind: swarm.Kind, ID: m.GetSwarmId()}, actors.Command{
				ID: "done-" + m.GetTaskId(), Principal: m.GetAgentId(), SkipState: true,
				Body: swarm.CompleteTask{TaskID: m.GetTaskId(), AgentID: m.GetAgentId(), Output: []byte(`{"ok":true}`), At: time.Now()},
			})
			if err != nil && ctx.Err() == nil {
				b.Errorf("complete %s: %v", m.GetTaskId(), err)
			}
		}()
	}
}
