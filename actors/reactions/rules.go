package reactions

import (
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors"
	"hive/actors/agent"
	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/actors/workflow"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Rules are the reactions between Hive's entities:
//
//	agent joined/left a swarm, lost, recovered, draining, deregistered
//	    → the swarm's member list (a refused join makes the agent leave again)
//	workflow step dispatched            → task submitted to the run's swarm
//	workflow paused, resumed, cancelled → the run's tasks held, released, cancelled
//	workflow budget changed             → the run's budget in its swarm
//	swarm task assigned                 → task started on the agent; step assigned in the run
//	swarm task completed                → task finished on the agent; step completed in the run
//	swarm task attempt failed           → task finished on the agent
//	swarm task failed                   → task finished on the agent; step failed in the run
//	swarm task cancelled                → task finished on the agent; if the swarm was
//	                                      dissolved, step failed in the run
//	swarm member left a dissolved swarm → the agent leaves it
//	task refused by the swarm           → step failed in the run (compensation)
func Rules(env *events.Envelope, msg proto.Message) []Reaction {
	if r := agentRules(env, msg); r != nil {
		return r
	}
	if r := workflowRules(env, msg); r != nil {
		return r
	}
	return swarmRules(env, msg)
}

func toSwarm(id string, body actors.Body) Reaction {
	return Reaction{To: actors.Ref{Kind: swarm.Kind, ID: id}, Body: body}
}

func toAgent(id string, body actors.Body) Reaction {
	return Reaction{To: actors.Ref{Kind: agent.Kind, ID: id}, Body: body}
}

func toRun(id string, body actors.Body) Reaction {
	return Reaction{To: actors.Ref{Kind: workflow.Kind, ID: id}, Body: body}
}

func agentRules(env *events.Envelope, msg proto.Message) []Reaction {
	at, v := env.RecordedAt, env.Version
	switch m := msg.(type) {
	case *hivev1.AgentJoinedSwarm:
		join := toSwarm(m.GetSwarmId(), swarm.AddMember{AgentID: m.GetAgentId(), Capabilities: m.GetCapabilities(),
			MaxConcurrency: int(m.GetMaxConcurrency()), Record: swarm.RecordFromProto(m.GetRecord()), AgentVersion: v, At: at})
		join.Compensate = func(rejection error) []Reaction {
			return []Reaction{toAgent(m.GetAgentId(), agent.LeaveSwarm{SwarmID: m.GetSwarmId(), Reason: "the swarm refused: " + truncate(rejection.Error())})}
		}
		return []Reaction{join}
	case *hivev1.AgentLeftSwarm:
		return []Reaction{toSwarm(m.GetSwarmId(), swarm.RemoveMember{AgentID: m.GetAgentId(), Reason: m.GetReason(), AgentVersion: v, At: at})}
	case *hivev1.AgentDeregistered:
		return inSwarm(m.GetSwarmId(), swarm.RemoveMember{AgentID: m.GetAgentId(), Reason: "agent deregistered", AgentVersion: v, At: at})
	case *hivev1.AgentLost:
		return inSwarm(m.GetSwarmId(), swarm.MemberLost{AgentID: m.GetAgentId(), AgentVersion: v, At: at})
	case *hivev1.AgentRecovered:
		return inSwarm(m.GetSwarmId(), swarm.MemberRecovered{AgentID: m.GetAgentId(), AgentVersion: v, At: at})
	case *hivev1.AgentDraining:
		return inSwarm(m.GetSwarmId(), swarm.MemberDraining{AgentID: m.GetAgentId(), AgentVersion: v, At: at})
	}
	return nil
}

// inSwarm is the reaction body to the agent's swarm, none if it has none.
func inSwarm(swarmID string, body actors.Body) []Reaction {
	if swarmID == "" {
		return nil
	}
	return []Reaction{toSwarm(swarmID, body)}
}

func workflowRules(env *events.Envelope, msg proto.Message) []Reaction {
	at := env.RecordedAt
	switch m := msg.(type) {
	case *hivev1.StepDispatched:
		submit := toSwarm(m.GetSwarmId(), swarm.SubmitTask{
			Key: m.GetKey(), RunID: m.GetRunId(), StepID: m.GetStepId(), Capability: m.GetCapability(), Input: m.GetInput(),
			Priority: int(m.GetPriority()), MaxAttempts: int(m.GetMaxAttempts()), Backoff: time.Duration(m.GetBackoffNanos()),
			Timeout: time.Duration(m.GetTimeoutNanos()), Planner: m.GetPlanner(), At: at,
			RunBudget: ledger.BudgetFromProto(m.GetRunBudget()), RunSpent: ledger.FromProto(m.GetRunSpent()), RunVersion: env.Version,
		})
		submit.Compensate = func(rejection error) []Reaction {
			return []Reaction{toRun(m.GetRunId(), workflow.FailStep{Key: m.GetKey(), Reason: "the swarm refused the task: " + truncate(rejection.Error()), At: at})}
		}
		return []Reaction{submit}
	case *hivev1.RunBudgetChanged:
		return inSwarm(m.GetSwarmId(), swarm.SetRunBudget{RunID: m.GetRunId(), Budget: ledger.BudgetFromProto(m.GetBudget()), RunVersion: env.Version, At: at})
	case *hivev1.RunPaused:
		return []Reaction{toSwarm(m.GetSwarmId(), swarm.PauseRun{RunID: m.GetRunId(), At: at})}
	case *hivev1.RunResumed:
		return []Reaction{toSwarm(m.GetSwarmId(), swarm.ResumeRun{RunID: m.GetRunId(), At: at})}
	case *hivev1.RunCancelled:
		return []Reaction{toSwarm(m.GetSwarmId(), swarm.CancelRunTasks{RunID: m.GetRunId(), Reason: m.GetReason(), At: at})}
	}
	return nil
}

func swarmRules(env *events.Envelope, msg proto.Message) []Reaction {
	at, v := env.RecordedAt, env.Version
	switch m := msg.(type) {
	case *hivev1.TaskAssigned:
		out := []Reaction{toAgent(m.GetAgentId(), agent.StartTask{TaskID: m.GetTaskId(), SwarmID: m.GetSwarmId(), SwarmVersion: v,
			At: at, Deadline: unixNano(m.GetDeadlineUnixNano())})}
		if m.GetRunId() != "" {
			out = append(out, toRun(m.GetRunId(), workflow.RecordAssignment{Key: m.GetKey(), TaskID: m.GetTaskId(), AgentID: m.GetAgentId(),
				Attempt: int(m.GetAttempt()), At: at}))
		}
		return out
	case *hivev1.TaskCompleted:
		usage := ledger.FromProto(m.GetUsage())
		out := finished(m.GetAgentId(), m.GetTaskId(), m.GetSwarmId(), v, agent.OutcomeCompleted, at, usage, time.Duration(m.GetDurationNanos()))
		if m.GetRunId() != "" {
			out = append(out, toRun(m.GetRunId(), workflow.CompleteStep{Key: m.GetKey(), TaskID: m.GetTaskId(), AgentID: m.GetAgentId(),
				Output: m.GetOutput(), Usage: usage, AddSteps: m.GetAddSteps(), At: at}))
		}
		return out
	case *hivev1.TaskAttemptFailed:
		return finished(m.GetAgentId(), m.GetTaskId(), m.GetSwarmId(), v, outcome(m.GetCause()), at, ledger.Usage{}, 0)
	case *hivev1.TaskFailed:
		out := finished(m.GetAgentId(), m.GetTaskId(), m.GetSwarmId(), v, outcome(m.GetFailure().GetCause()), at, ledger.Usage{}, 0)
		if m.GetRunId() != "" {
			out = append(out, toRun(m.GetRunId(), workflow.FailStep{Key: m.GetKey(), TaskID: m.GetTaskId(), AgentID: m.GetAgentId(),
				Reason: m.GetFailure().GetReason(), At: at}))
		}
		return out
	case *hivev1.TaskCancelled:
		out := finished(m.GetAgentId(), m.GetTaskId(), m.GetSwarmId(), v, agent.OutcomeCancelled, at, ledger.Usage{}, 0)
		if m.GetSwarmDissolved() && m.GetRunId() != "" {
			out = append(out, toRun(m.GetRunId(), workflow.FailStep{Key: m.GetKey(), TaskID: m.GetTaskId(), AgentID: m.GetAgentId(),
				Reason: m.GetReason(), At: at}))
		}
		return out
	case *hivev1.SwarmMemberLeft:
		if m.GetDissolved() {
			return []Reaction{toAgent(m.GetAgentId(), agent.LeaveSwarm{SwarmID: m.GetSwarmId(), Reason: truncate(m.GetReason())})}
		}
	}
	return nil
}

// finished tells the agent whose assignment ended, if any, with what it
// used and (for a completion) how long it took.
func finished(agentID, taskID, swarmID string, v uint64, outcome string, at time.Time, usage ledger.Usage, d time.Duration) []Reaction {
	if agentID == "" {
		return nil
	}
	return []Reaction{toAgent(agentID, agent.FinishTask{TaskID: taskID, SwarmID: swarmID, SwarmVersion: v, Outcome: outcome, At: at, Usage: usage, Duration: d})}
}

// outcome is the agent's outcome for the cause of a failed attempt.
func outcome(cause string) string {
	switch cause {
	case "timeout", "timed_out":
		return agent.OutcomeTimedOut
	case "agent_lost", "agent_left":
		return agent.OutcomeReleased
	}
	return agent.OutcomeFailed
}

func unixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

// truncate keeps a rejection short enough to be a reason.
func truncate(s string) string {
	if len(s) > 500 {
		return s[:500]
	}
	return s
}
