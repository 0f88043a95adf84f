package projections

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	hivev1 "hive/proto/hive/v1"
)

// decided is a decision as the feed tells it.
type decided struct {
	kind, entity, summary, reason string
}

// feedCandidates is how many of an assignment's best candidates the feed
// names with their scores.
const feedCandidates = 3

// decisions describe, by event type, the events the feed shows.
var decisions = map[string]func(proto.Message) decided{
	"hive.v1.TaskAssigned":         func(m proto.Message) decided { return taskAssigned(m.(*hivev1.TaskAssigned)) },
	"hive.v1.TaskAttemptFailed":    func(m proto.Message) decided { return attemptFailed(m.(*hivev1.TaskAttemptFailed)) },
	"hive.v1.TaskFailed":           func(m proto.Message) decided { return taskFailed(m.(*hivev1.TaskFailed)) },
	"hive.v1.TaskCancelled":        func(m proto.Message) decided { return taskCancelled(m.(*hivev1.TaskCancelled)) },
	"hive.v1.AgentLost":            func(m proto.Message) decided { return agentLost(m.(*hivev1.AgentLost)) },
	"hive.v1.AgentRecovered":       func(m proto.Message) decided { return agentRecovered(m.(*hivev1.AgentRecovered)) },
	"hive.v1.AgentDraining":        func(m proto.Message) decided { return agentDraining(m.(*hivev1.AgentDraining)) },
	"hive.v1.AgentDeregistered":    func(m proto.Message) decided { return agentDeregistered(m.(*hivev1.AgentDeregistered)) },
	"hive.v1.AgentLeftSwarm":       func(m proto.Message) decided { return agentLeft(m.(*hivev1.AgentLeftSwarm)) },
	"hive.v1.SwarmLeaderChanged":   func(m proto.Message) decided { return leaderChanged(m.(*hivev1.SwarmLeaderChanged)) },
	"hive.v1.ProposalDecided":      func(m proto.Message) decided { return proposalDecided(m.(*hivev1.ProposalDecided)) },
	"hive.v1.SwarmBudgetExhausted": func(m proto.Message) decided { return swarmBudget(m.(*hivev1.SwarmBudgetExhausted)) },
	"hive.v1.RunBudgetExhausted":   func(m proto.Message) decided { return runBudget(m.(*hivev1.RunBudgetExhausted)) },
	"hive.v1.StepApproved":         func(m proto.Message) decided { return stepApproved(m.(*hivev1.StepApproved)) },
	"hive.v1.StepRejected":         func(m proto.Message) decided { return stepRejected(m.(*hivev1.StepRejected)) },
	"hive.v1.StepRetried":          func(m proto.Message) decided { return stepRetried(m.(*hivev1.StepRetried)) },
	"hive.v1.StepFailed":           func(m proto.Message) decided { return stepFailed(m.(*hivev1.StepFailed)) },
	"hive.v1.RunPaused":            func(m proto.Message) decided { return runPaused(m.(*hivev1.RunPaused)) },
	"hive.v1.RunResumed":           func(m proto.Message) decided { return runResumed(m.(*hivev1.RunResumed)) },
	"hive.v1.RunCancelled":         func(m proto.Message) decided { return runCancelled(m.(*hivev1.RunCancelled)) },
	"hive.v1.RunCompleted":         func(m proto.Message) decided { return runCompleted(m.(*hivev1.RunCompleted)) },
	"hive.v1.RunFailed":            func(m proto.Message) decided { return runFailed(m.(*hivev1.RunFailed)) },
	"hive.v1.SwarmSettingsChanged": func(m proto.Message) decided { return settingsChanged(m.(*hivev1.SwarmSettingsChanged)) },
	"hive.v1.SwarmDissolved":       func(m proto.Message) decided { return swarmDissolved(m.(*hivev1.SwarmDissolved)) },
}

func taskAssigned(m *hivev1.TaskAssigned) decided {
	// Built with appends, not fmt: every assignment of a busy fleet comes
	// here.
	why := make([]byte, 0, len(m.GetReason())+32*feedCandidates+16)
	why = append(why, m.GetReason()...)
	for i, c := range m.GetCandidates() {
		if i == feedCandidates {
			break
		}
		if i == 0 {
			why = append(why, "; scores: "...)
		} else {
			why = append(why, "; "...)
		}
		why = strconv.AppendFloat(append(append(why, c.GetAgentId()...), ' '), c.GetScore(), 'f', 2, 64)
	}
	if n := len(m.GetCandidates()) - feedCandidates + int(m.GetCandidatesOmitted()); n > 0 {
		why = strconv.AppendInt(append(why, " and "...), int64(n), 10)
		why = append(why, " more"...)
	}
	summary := make([]byte, 0, 96+len(m.GetTaskId())+len(m.GetAgentId()))
	summary = append(append(summary, "task "...), m.GetTaskId()...)
	summary = strconv.AppendUint(append(summary, " (attempt "...), uint64(m.GetAttempt()), 10)
	summary = append(append(summary, ") assigned to agent "...), m.GetAgentId()...)
	summary = append(append(append(summary, " ("...), m.GetTopology()...), ')')
	return decided{"swarm", m.GetSwarmId(), string(summary), strings.TrimPrefix(string(why), "; ")}
}

func attemptFailed(m *hivev1.TaskAttemptFailed) decided {
	return decided{"swarm", m.GetSwarmId(),
		fmt.Sprintf("attempt %d of task %s on agent %s ended (%s); retry at %s", m.GetAttempt(), m.GetTaskId(), m.GetAgentId(),
			m.GetCause(), time.Unix(0, m.GetRetryAtUnixNano()).UTC().Format(time.RFC3339)), m.GetReason()}
}

func taskFailed(m *hivev1.TaskFailed) decided {
	return decided{"swarm", m.GetSwarmId(), fmt.Sprintf("task %s failed after %d attempts (%s)", m.GetTaskId(), m.GetAttempt(), m.GetFailure().GetCause()), m.GetFailure().GetReason()}
}

func taskCancelled(m *hivev1.TaskCancelled) decided {
	return decided{"swarm", m.GetSwarmId(), "task " + m.GetTaskId() + " cancelled", m.GetReason()}
}

func agentLost(m *hivev1.AgentLost) decided {
	return decided{"agent", m.GetAgentId(), "agent " + m.GetAgentId() + " lost", m.GetReason()}
}

func agentRecovered(m *hivev1.AgentRecovered) decided {
	return decided{"agent", m.GetAgentId(), "agent " + m.GetAgentId() + " recovered", "heard from again after it was lost"}
}

func agentDraining(m *hivev1.AgentDraining) decided {
	return decided{"agent", m.GetAgentId(), "agent " + m.GetAgentId() + " draining", m.GetReason()}
}

func agentDeregistered(m *hivev1.AgentDeregistered) decided {
	return decided{"agent", m.GetAgentId(), "agent " + m.GetAgentId() + " deregistered", m.GetReason()}
}

func agentLeft(m *hivev1.AgentLeftSwarm) decided {
	return decided{"agent", m.GetAgentId(), "agent " + m.GetAgentId() + " left swarm " + m.GetSwarmId(), m.GetReason()}
}

func leaderChanged(m *hivev1.SwarmLeaderChanged) decided {
	summary := "swarm " + m.GetSwarmId() + " has no leader"
	if m.GetLeaderId() != "" {
		summary = "agent " + m.GetLeaderId() + " leads swarm " + m.GetSwarmId()
	}
	return decided{"swarm", m.GetSwarmId(), summary, m.GetReason()}
}

func proposalDecided(m *hivev1.ProposalDecided) decided {
	summary := "proposal " + m.GetProposalId() + " undecided"
	if m.GetOutcome() != "" {
		summary = "proposal " + m.GetProposalId() + " decided: " + m.GetOutcome()
	}
	var why strings.Builder
	fmt.Fprintf(&why, "%s (rule %s, quorum %g, electorate %d)", m.GetReason(), m.GetRule(), m.GetQuorum(), m.GetElectorate())
	for _, t := range m.GetTallies() {
		fmt.Fprintf(&why, "; %s: %d votes, weight %g", t.GetOption(), t.GetVotes(), t.GetWeight())
	}
	return decided{"swarm", m.GetSwarmId(), summary, why.String()}
}

func swarmBudget(m *hivev1.SwarmBudgetExhausted) decided {
	return decided{"swarm", m.GetSwarmId(), "swarm " + m.GetSwarmId() + " assigns nothing: budget exhausted", m.GetReason()}
}

func runBudget(m *hivev1.RunBudgetExhausted) decided {
	return decided{"workflow", m.GetRunId(), "run " + m.GetRunId() + " dispatches nothing: budget exhausted", m.GetReason()}
}

func stepApproved(m *hivev1.StepApproved) decided {
	return decided{"workflow", m.GetRunId(), verbBy("step "+quote(m.GetStepId())+" approved", m.GetBy()), m.GetComment()}
}

func stepRejected(m *hivev1.StepRejected) decided {
	return decided{"workflow", m.GetRunId(), "step " + quote(m.GetStepId()) + " rejected", m.GetReason() + reasonSuffix(m.GetComment())}
}

func stepRetried(m *hivev1.StepRetried) decided {
	return decided{"workflow", m.GetRunId(), verbBy("step "+quote(m.GetStepId())+" retried", m.GetBy()), fmt.Sprintf("generation %d", m.GetGeneration())}
}

func stepFailed(m *hivev1.StepFailed) decided {
	return decided{"workflow", m.GetRunId(), "step " + quote(m.GetStepId()) + " failed", m.GetReason()}
}

func runPaused(m *hivev1.RunPaused) decided {
	return decided{"workflow", m.GetRunId(), verbBy("run "+m.GetRunId()+" paused", m.GetBy()), m.GetReason()}
}

func runResumed(m *hivev1.RunResumed) decided {
	return decided{"workflow", m.GetRunId(), verbBy("run "+m.GetRunId()+" resumed", m.GetBy()), m.GetReason()}
}

func runCancelled(m *hivev1.RunCancelled) decided {
	return decided{"workflow", m.GetRunId(), verbBy("run "+m.GetRunId()+" cancelled", m.GetBy()), m.GetReason()}
}

func runCompleted(m *hivev1.RunCompleted) decided {
	return decided{"workflow", m.GetRunId(), "run " + m.GetRunId() + " completed", m.GetReason()}
}

func runFailed(m *hivev1.RunFailed) decided {
	return decided{"workflow", m.GetRunId(), "run " + m.GetRunId() + " failed", m.GetReason()}
}

func settingsChanged(m *hivev1.SwarmSettingsChanged) decided {
	return decided{"swarm", m.GetSwarmId(), fmt.Sprintf("swarm settings changed: %s (%s, min %d, max %d)", strings.Join(m.GetChanged(), ", "),
		m.GetTopology(), m.GetMinSize(), m.GetMaxSize()), m.GetReason()}
}

func swarmDissolved(m *hivev1.SwarmDissolved) decided {
	return decided{"swarm", m.GetSwarmId(), fmt.Sprintf("swarm dissolved: %d members left, %d unfinished tasks cancelled, %d proposals closed",
		m.GetMembersLeft(), m.GetTasksCancelled(), m.GetProposalsClosed()), m.GetReason()}
}
