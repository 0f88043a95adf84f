package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"hive/http/client"
)

// workload drives a random mix of everything Hive does through the API:
// agents registering, heartbeating, draining and leaving; swarms of every
// topology; tasks submitted, completed and failed; workflow runs with
// approval gates, paused, resumed, cancelled; proposals and votes. Commands
// the random choice makes invalid are refused, as they would be for a real
// client, and leave their refusal out of the log.
type workload struct {
	t      *testing.T
	rng    *rand.Rand
	api    *client.Client
	agents []string
	swarms []string
	runs   []string
}

var capabilities = []string{"code", "review", "plan"}

func newWorkload(t *testing.T, s *sim, seed uint64) *workload {
	w := &workload{t: t, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), api: newAPIClient(t, s)}
	for i, topology := range []string{"mesh", "star", "ring", "hierarchical"} {
		sw, err := w.api.CreateSwarm(t.Context(), client.NewSwarm{Name: fmt.Sprintf("swarm-%d-%d", seed, i), Topology: topology, MaxSize: 6})
		if err != nil {
			t.Fatal(err)
		}
		w.swarms = append(w.swarms, sw.ID)
	}
	for i := range 12 {
		caps := []string{capabilities[i%3], capabilities[(i+1)%3]}
		a, err := w.api.Register(t.Context(), client.Registration{Name: fmt.Sprintf("agent-%d-%d", seed, i), Capabilities: caps, MaxConcurrency: 2})
		if err != nil {
			t.Fatal(err)
		}
		w.agents = append(w.agents, a.ID)
		w.tolerate(w.api.JoinSwarm(t.Context(), w.swarms[i%len(w.swarms)], a.ID))
	}
	return w
}

// tolerate fails the test on anything but a refusal.
func (w *workload) tolerate(err error) {
	w.t.Helper()
	var p *client.ProblemError
	if err != nil && !(errors.As(err, &p) && p.Status < 500) {
		w.t.Fatal(err)
	}
}

func pick[T any](rng *rand.Rand, s []T) T { return s[rng.IntN(len(s))] }

// run makes n random moves.
func (w *workload) run(n int) {
	moves := []func(){w.heartbeat, w.submit, w.work, w.work, w.work, w.startRun, w.decideGate, w.steerRun, w.propose, w.churn}
	for range n {
		pick(w.rng, moves)()
	}
}

func (w *workload) heartbeat() { w.tolerate(w.api.Heartbeat(w.t.Context(), pick(w.rng, w.agents))) }

func (w *workload) submit() {
	_, err := w.api.SubmitTask(w.t.Context(), pick(w.rng, w.swarms), client.NewTask{
		Capability: pick(w.rng, capabilities), Input: json.RawMessage(`{"n":1}`), Priority: w.rng.IntN(3), MaxAttempts: 2})
	w.tolerate(err)
}

// work has an agent finish one of its tasks, mostly successfully.
func (w *workload) work() {
	agent := pick(w.rng, w.agents)
	work, err := w.api.Assignments(w.t.Context(), agent, 0, 0)
	if w.tolerate(err); err != nil || len(work.Assignments) == 0 {
		return
	}
	task := pick(w.rng, work.Assignments)
	if w.rng.IntN(5) == 0 {
		w.tolerate(w.api.Fail(w.t.Context(), task.TaskID, client.Failure{AgentID: agent, Reason: "flaky tool", Retryable: w.rng.IntN(2) == 0}))
		return
	}
	w.tolerate(w.api.Complete(w.t.Context(), task.TaskID, client.Result{AgentID: agent, Output: json.RawMessage(`{"ok":true}`),
		Usage: client.Usage{InputTokens: int64(w.rng.IntN(500)), OutputTokens: int64(w.rng.IntN(200)), Model: "m"}}))
}

func (w *workload) startRun() {
	steps := `[{"id":"plan","capability":"plan"},
		{"id":"build","capability":"code","depends_on":["plan"]},
		{"id":"test","capability":"review","depends_on":["plan"]},
		{"id":"ship","capability":"code","depends_on":["build","test"],"approval":true}]`
	run, err := w.api.StartRun(w.t.Context(), client.NewRun{Name: fmt.Sprintf("run-%d", len(w.runs)), SwarmID: pick(w.rng, w.swarms), Steps: json.RawMessage(steps)})
	if w.tolerate(err); err == nil {
		w.runs = append(w.runs, run.ID)
	}
}

func (w *workload) decideGate() {
	if len(w.runs) == 0 {
		return
	}
	run := pick(w.rng, w.runs)
	var err error
	if w.rng.IntN(4) == 0 {
		_, err = w.api.RejectStep(w.t.Context(), run, "ship", client.Note{Reason: "not today"})
	} else {
		_, err = w.api.ApproveStep(w.t.Context(), run, "ship", client.Note{Comment: "ship it"})
	}
	w.tolerate(err)
}

func (w *workload) steerRun() {
	if len(w.runs) == 0 {
		return
	}
	run := pick(w.rng, w.runs)
	var err error
	switch w.rng.IntN(4) {
	case 0:
		_, err = w.api.PauseRun(w.t.Context(), run, client.Note{Reason: "hold"})
	case 1, 2:
		_, err = w.api.ResumeRun(w.t.Context(), run, client.Note{})
	default:
		_, err = w.api.CancelRun(w.t.Context(), run, client.Note{Reason: "superseded"})
	}
	w.tolerate(err)
}

func (w *workload) propose() {
	swarm := pick(w.rng, w.swarms)
	id, _, err := w.api.Propose(w.t.Context(), swarm, client.NewProposal{Question: "merge?", Options: []string{"yes", "no"},
		Rule: pick(w.rng, []string{"majority", "unanimous"}), VotingPeriod: "1h"})
	if w.tolerate(err); err != nil {
		return
	}
	for range 3 {
		_, err := w.api.Vote(w.t.Context(), swarm, id, pick(w.rng, w.agents), pick(w.rng, []string{"yes", "no"}))
		w.tolerate(err)
	}
}

// churn has an agent drain or leave and a new one take its place.
func (w *workload) churn() {
	i := w.rng.IntN(len(w.agents))
	if w.rng.IntN(2) == 0 {
		w.tolerate(w.api.Drain(w.t.Context(), w.agents[i], "maintenance"))
	} else {
		w.tolerate(w.api.Deregister(w.t.Context(), w.agents[i], "retired"))
	}
	a, err := w.api.Register(w.t.Context(), client.Registration{Name: fmt.Sprintf("agent-%d-%d", i, w.rng.Uint32()), Capabilities: []string{pick(w.rng, capabilities)}})
	if err != nil {
		w.t.Fatal(err)
	}
	w.agents[i] = a.ID
	w.tolerate(w.api.JoinSwarm(w.t.Context(), pick(w.rng, w.swarms), a.ID))
}
