package projections_test

import (
	"fmt"
	"testing"
	"time"

	"hive/actors/agent"
	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/actors/workflow"
	hivev1 "hive/proto/hive/v1"
)

// workload is the history of a busy fleet, made of real decisions: 16
// agents in one mesh swarm run workflows of ten sequential steps, eight at
// a time, each task completed by its agent a second after it is assigned,
// until runs runs have completed. About 75 events a run.
func workload(t testing.TB, runs int) *world {
	w := newWorld(t)
	crew := swarm.IDFor("load")
	w.do("alice", swarmRef(crew), swarm.Create{Name: "load", Topology: swarm.Mesh, At: w.now})
	for i := range 16 {
		name := fmt.Sprint("worker-", i)
		w.do("alice", agentRef(agent.IDFor(name)), agent.Register{Name: name, Capabilities: []string{"code"}, MaxConcurrency: 4, At: w.now, HeartbeatTimeout: time.Minute})
		w.do("alice", agentRef(agent.IDFor(name)), agent.JoinSwarm{SwarmID: crew})
	}
	steps := make([]workflow.Step, 10)
	for i := range steps {
		steps[i] = workflow.Step{ID: fmt.Sprint("s", i), Capability: "code"}
		if i > 0 {
			steps[i].DependsOn = []string{steps[i-1].ID}
		}
	}
	seen := len(w.log)
	for started := 0; started < runs; {
		for range min(8, runs-started) {
			started++
			id := fmt.Sprintf("0193a1d2-0000-7000-8000-%012x", started)
			w.do("bob", runRef(id), workflow.Start{RunID: id, Name: "seq10", SwarmID: crew, At: w.now, Steps: steps})
		}
		for work := w.assignedSince(&seen); len(work) > 0; work = w.assignedSince(&seen) {
			for _, a := range work {
				w.advance(time.Second)
				w.do(a.GetAgentId(), swarmRef(crew), swarm.CompleteTask{TaskID: a.GetTaskId(), AgentID: a.GetAgentId(), Output: []byte(`{"ok":true}`), At: w.now,
					Usage: ledger.Usage{Model: "m", InputTokens: 100, OutputTokens: 20, CostMicros: 3}})
			}
		}
	}
	return w
}

// assignedSince returns the tasks assigned in the log after *seen events,
// and moves *seen to the end of the log.
func (w *world) assignedSince(seen *int) []*hivev1.TaskAssigned {
	var out []*hivev1.TaskAssigned
	for _, env := range w.log[*seen:] {
		if env.Type == "hive.v1.TaskAssigned" {
			out = append(out, decode(w.t, env).(*hivev1.TaskAssigned))
		}
	}
	*seen = len(w.log)
	return out
}
