package main

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"hive/http/loadgen"
)

// benchConns is how many connections the load generator uses.
const benchConns = 64

// BenchmarkCompleteTaskHTTP measures POST /v1/tasks/{id}/complete end to
// end over loopback with tokens on: each completion is sent with the token
// of the agent the task is assigned to, and is a durable decision of the
// task's swarm (8 swarms of 8 agents), which the response waits for. The
// tasks are submitted and assigned before the clock starts.
func BenchmarkCompleteTaskHTTP(b *testing.B) {
	s := startInProcess(b, time.Hour)
	work := assignedTasks(b, s, b.N)
	conns := loadgen.DialFor(b, *s.url.Load(), benchConns)
	b.ResetTimer()
	res, err := loadgen.Run(conns, b.N, func(_, i int) loadgen.Request {
		w := work[i]
		return loadgen.Request{Method: "POST", Path: "/v1/tasks/" + w.task + "/complete", Bearer: w.token, Want: http.StatusOK,
			Body: fmt.Appendf(nil, `{"agent_id":%q,"output":{"ok":true},"usage":{"model":"m","input_tokens":100,"output_tokens":20}}`, w.agent)}
	})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	res.Report(b, "completions/s")
}

// assigned is a task and the agent (and its token) it is assigned to.
type assigned struct{ task, agent, token string }

// assignedTasks creates 8 swarms of 8 agents, each agent with its own agent
// token, submits n tasks across the swarms, and returns them as assigned.
func assignedTasks(b *testing.B, s *sim, n int) []assigned {
	const swarms, perSwarm = 8, 8
	if n > swarms*perSwarm*1024 {
		b.Fatalf("at most %d tasks can be in flight at once", swarms*perSwarm*1024)
	}
	var agents []assigned
	var swarmIDs []string
	for si := range swarms {
		var sw struct {
			ID string `json:"id"`
		}
		s.mustTB(b, http.MethodPost, "/v1/swarms", map[string]any{"name": fmt.Sprint("bench-", si), "topology": "mesh"}, &sw)
		swarmIDs = append(swarmIDs, sw.ID)
		for ai := range perSwarm {
			var ag struct {
				ID string `json:"id"`
			}
			s.mustTB(b, http.MethodPost, "/v1/agents", map[string]any{"name": fmt.Sprint("bench-", si, "-", ai), "capabilities": []string{"code"}, "max_concurrency": 1024}, &ag)
			s.mustTB(b, http.MethodPost, "/v1/swarms/"+sw.ID+"/members", map[string]any{"agent_id": ag.ID}, nil)
			var tok struct {
				Token string `json:"token"`
			}
			s.mustTB(b, http.MethodPost, "/v1/tokens", map[string]any{"role": "agent", "agent_id": ag.ID}, &tok)
			agents = append(agents, assigned{agent: ag.ID, token: tok.Token})
		}
	}
	for i := range n {
		s.mustTB(b, http.MethodPost, "/v1/swarms/"+swarmIDs[i%swarms]+"/tasks", map[string]any{"capability": "code", "input": map[string]any{"i": i}}, nil)
	}
	var work []assigned
	for _, a := range agents {
		var tasks struct {
			Tasks []struct {
				ID string `json:"id"`
			} `json:"tasks"`
		}
		s.mustTB(b, http.MethodGet, "/v1/agents/"+a.agent+"/tasks", nil, &tasks)
		for _, t := range tasks.Tasks {
			work = append(work, assigned{task: t.ID, agent: a.agent, token: a.token})
		}
	}
	if len(work) != n {
		b.Fatalf("%d tasks assigned, want %d", len(work), n)
	}
	return work
}
