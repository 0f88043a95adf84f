package replaytest

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/swarm"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

var (
	admin = cause{principal: "token:admin", correlation: "setup"}
	ci    = cause{principal: "token:ci", correlation: Release}
)

// members are the swarm's agents: name, capabilities, concurrency.
var members = []struct {
	name string
	caps []string
	max  int
}{
	{"coder-1", []string{"code"}, 2},
	{"coder-2", []string{"code", "review"}, 1},
	{"planner-1", []string{"plan", "code"}, 1},
}

// setup registers the agents, creates the swarm and has them join it.
func (w *writer) setup() error {
	sw := actors.Ref{Kind: swarm.Kind, ID: w.h.SwarmID}
	_, _, err := w.do(sw, swarm.Create{Name: "crew", Topology: swarm.Mesh, MinSize: 1, MaxSize: 10,
		Weights: swarm.Weights{Capability: 1, Load: 2, Success: 1, Speed: 0.5}, At: w.tick()}, admin)
	if err != nil {
		return err
	}
	for _, m := range members {
		id := agent.IDFor(m.name)
		w.h.Agents[m.name] = id
		ag := actors.Ref{Kind: agent.Kind, ID: id}
		if _, _, err := w.do(ag, agent.Register{Name: m.name, Capabilities: m.caps, MaxConcurrency: m.max, At: w.tick()}, admin); err != nil {
			return err
		}
		if _, _, err := w.do(ag, agent.JoinSwarm{SwarmID: w.h.SwarmID}, admin); err != nil {
			return err
		}
		add := swarm.AddMember{AgentID: id, Capabilities: m.caps, MaxConcurrency: m.max, AgentVersion: w.versions[ag], At: w.tick()}
		if _, _, err := w.do(sw, add, admin); err != nil {
			return err
		}
	}
	return nil
}

// release submits three tasks, completes the first and fails the second
// twice, the second time for good.
func (w *writer) release() error {
	for _, capability := range []string{"code", "code", "plan"} {
		if err := w.submit(capability); err != nil {
			return err
		}
	}
	if err := w.complete(w.h.Tasks[0]); err != nil {
		return err
	}
	if err := w.fail(w.h.Tasks[1], "tests failed"); err != nil {
		return err
	}
	return w.fail(w.h.Tasks[1], "tests failed again")
}

// submit submits a task and lets its agent start it.
func (w *writer) submit(capability string) error {
	sw := actors.Ref{Kind: swarm.Kind, ID: w.h.SwarmID}
	envs, msgs, err := w.do(sw, swarm.SubmitTask{Capability: capability, MaxAttempts: 2, At: w.tick()}, ci)
	if err != nil {
		return err
	}
	w.h.Tasks = append(w.h.Tasks, swarm.TaskID(w.h.SwarmID, uint64(len(w.h.Tasks)+1)))
	return w.react(envs, msgs)
}

// react has each assigned agent start its task, caused by the assignment.
func (w *writer) react(envs []events.Envelope, msgs []proto.Message) error {
	for i, m := range msgs {
		a, ok := m.(*hivev1.TaskAssigned)
		if !ok {
			continue
		}
		c := cause{principal: envs[i].Principal, correlation: envs[i].CorrelationID, causation: envs[i].ID.String()}
		start := agent.StartTask{TaskID: a.GetTaskId(), SwarmID: a.GetSwarmId(), SwarmVersion: envs[i].Version, At: envs[i].RecordedAt}
		if _, _, err := w.do(actors.Ref{Kind: agent.Kind, ID: a.GetAgentId()}, start, c); err != nil {
			return err
		}
	}
	return nil
}

// assignee is the agent a task is assigned to.
func (w *writer) assignee(task string) (string, error) {
	v, ok := w.entities[actors.Ref{Kind: swarm.Kind, ID: w.h.SwarmID}].View().(swarm.View)
	if !ok {
		return "", fmt.Errorf("swarm view is not a swarm.View")
	}
	for _, t := range v.Tasks {
		if t.ID == task {
			return t.AgentID, nil
		}
	}
	return "", fmt.Errorf("task %s is not in flight", task)
}

func (w *writer) complete(task string) error {
	id, err := w.assignee(task)
	if err != nil {
		return err
	}
	at := w.tick()
	cmd := swarm.CompleteTask{TaskID: task, AgentID: id, Output: []byte(`{"ok":true}`), At: at}
	_, _, err = w.do(actors.Ref{Kind: swarm.Kind, ID: w.h.SwarmID}, cmd, cause{principal: "agent:" + id, correlation: Release})
	return err
}

func (w *writer) fail(task, reason string) error {
	id, err := w.assignee(task)
	if err != nil {
		return err
	}
	cmd := swarm.FailTask{TaskID: task, AgentID: id, Reason: reason, Retryable: true, At: w.tick()}
	envs, msgs, err := w.do(actors.Ref{Kind: swarm.Kind, ID: w.h.SwarmID}, cmd, cause{principal: "agent:" + id, correlation: Release})
	if err != nil {
		return err
	}
	return w.react(envs, msgs)
}

// Proposal is the id of the history's proposal.
const Proposal = "0193a000-0000-7000-8000-000000000001"

// vote opens a proposal that every member votes on.
func (w *writer) vote() error {
	sw := actors.Ref{Kind: swarm.Kind, ID: w.h.SwarmID}
	c := cause{principal: "token:admin", correlation: "vote-1"}
	open := swarm.Propose{ProposalID: Proposal, Question: "ship it?", Options: []string{"yes", "no"}, Rule: swarm.Majority,
		Quorum: 0.5, Deadline: w.clock.Add(time.Hour), ProposedBy: "alice", At: w.tick()}
	if _, _, err := w.do(sw, open, c); err != nil {
		return err
	}
	for i, option := range []string{"yes", "no", "yes"} {
		id := w.h.Agents[members[i].name]
		vote := swarm.Vote{ProposalID: Proposal, AgentID: id, Option: option, At: w.tick()}
		if _, _, err := w.do(sw, vote, cause{principal: "agent:" + id, correlation: "vote-1"}); err != nil {
			return err
		}
	}
	return nil
}
