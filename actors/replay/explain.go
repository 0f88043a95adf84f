package replay

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	hivev1 "hive/proto/hive/v1"
)

// explainers say what an event decided and why, for the events whose why
// is more than a reason: assignments, consensus, retries and failures.
var explainers = map[string]func(proto.Message) (string, []string){
	"hive.v1.TaskAssigned":      func(m proto.Message) (string, []string) { return assigned(m.(*hivev1.TaskAssigned)) },
	"hive.v1.ProposalDecided":   func(m proto.Message) (string, []string) { return decided(m.(*hivev1.ProposalDecided)) },
	"hive.v1.VoteCast":          func(m proto.Message) (string, []string) { return voted(m.(*hivev1.VoteCast)) },
	"hive.v1.TaskAttemptFailed": func(m proto.Message) (string, []string) { return attemptFailed(m.(*hivev1.TaskAttemptFailed)) },
	"hive.v1.TaskFailed":        func(m proto.Message) (string, []string) { return failed(m.(*hivev1.TaskFailed)) },
	"hive.v1.StepRetried":       func(m proto.Message) (string, []string) { return retried(m.(*hivev1.StepRetried)) },
	"hive.v1.SwarmSettingsChanged": func(m proto.Message) (string, []string) {
		return settingsChanged(m.(*hivev1.SwarmSettingsChanged))
	},
	"hive.v1.SwarmDissolved": func(m proto.Message) (string, []string) { return dissolved(m.(*hivev1.SwarmDissolved)) },
}

func assigned(m *hivev1.TaskAssigned) (string, []string) {
	w := m.GetWeights()
	why := []string{
		m.GetReason(),
		fmt.Sprintf("weights capability=%g load=%g success=%g speed=%g", w.GetCapability(), w.GetLoad(), w.GetSuccess(), w.GetSpeed()),
	}
	for _, c := range m.GetCandidates() {
		why = append(why, fmt.Sprintf("candidate %s score %.3f (capability %.3f, load %.3f, success %.3f, speed %.3f)",
			c.GetAgentId(), c.GetScore(), c.GetCapability(), c.GetLoad(), c.GetSuccess(), c.GetSpeed()))
	}
	if n := m.GetCandidatesOmitted(); n > 0 {
		why = append(why, fmt.Sprintf("%d more candidates not recorded", n))
	}
	if n := m.GetIneligibleFull() + m.GetIneligibleIncapable() + m.GetIneligibleUnavailable() + m.GetIneligibleRole(); n > 0 {
		why = append(why, fmt.Sprintf("not eligible: %d full, %d incapable, %d unavailable, %d by role",
			m.GetIneligibleFull(), m.GetIneligibleIncapable(), m.GetIneligibleUnavailable(), m.GetIneligibleRole()))
	}
	for _, e := range m.GetExcluded() {
		verb := "passed over"
		if m.GetExclusionWaived() {
			verb = "considered again, no other member being eligible"
		}
		why = append(why, fmt.Sprintf("%s %s: attempt %d ended %s", verb, e.GetAgentId(), e.GetAttempt(), e.GetCause()))
	}
	return fmt.Sprintf("task %s assigned to %s (attempt %d)", m.GetTaskId(), m.GetAgentId(), m.GetAttempt()), why
}

func decided(m *hivev1.ProposalDecided) (string, []string) {
	outcome := m.GetOutcome()
	if outcome == "" {
		outcome = "nothing"
	}
	why := []string{fmt.Sprintf("rule %s, quorum %g, electorate %d, %s", m.GetRule(), m.GetQuorum(), m.GetElectorate(), m.GetReason())}
	for _, b := range m.GetVotes() {
		why = append(why, fmt.Sprintf("vote %s: %s (weight %g)", b.GetAgentId(), b.GetOption(), b.GetWeight()))
	}
	for _, t := range m.GetTallies() {
		why = append(why, fmt.Sprintf("tally %s: %d votes, weight %g", t.GetOption(), t.GetVotes(), t.GetWeight()))
	}
	return fmt.Sprintf("proposal %s decided %s", m.GetProposalId(), outcome), why
}

func voted(m *hivev1.VoteCast) (string, []string) {
	return fmt.Sprintf("%s voted %s on proposal %s", m.GetAgentId(), m.GetOption(), m.GetProposalId()),
		[]string{fmt.Sprintf("weight %g", m.GetWeight())}
}

func attemptFailed(m *hivev1.TaskAttemptFailed) (string, []string) {
	retry := time.Unix(0, m.GetRetryAtUnixNano()).UTC().Format(time.RFC3339)
	why := []string{"reason: " + m.GetReason(), "retry at " + retry}
	if m.GetExcludeAgent() {
		why = append(why, "later attempts pass over "+m.GetAgentId()+" while another member is eligible")
	}
	return fmt.Sprintf("attempt %d of task %s on %s ended: %s", m.GetAttempt(), m.GetTaskId(), m.GetAgentId(), m.GetCause()), why
}

func failed(m *hivev1.TaskFailed) (string, []string) {
	return fmt.Sprintf("task %s failed for good after attempt %d: %s", m.GetTaskId(), m.GetAttempt(), m.GetFailure().GetCause()),
		[]string{"reason: " + m.GetFailure().GetReason()}
}

func retried(m *hivev1.StepRetried) (string, []string) {
	return fmt.Sprintf("step %s of run %s retried (generation %d)", m.GetStepId(), m.GetRunId(), m.GetGeneration()),
		[]string{"by " + m.GetBy()}
}

func settingsChanged(m *hivev1.SwarmSettingsChanged) (string, []string) {
	weights := func(w *hivev1.SwarmWeights) string {
		return fmt.Sprintf("capability=%g load=%g success=%g speed=%g", w.GetCapability(), w.GetLoad(), w.GetSuccess(), w.GetSpeed())
	}
	why := []string{"reason: " + m.GetReason()}
	for _, name := range m.GetChanged() {
		switch name {
		case "topology":
			why = append(why, fmt.Sprintf("topology %s → %s", m.GetPreviousTopology(), m.GetTopology()))
		case "weights":
			why = append(why, fmt.Sprintf("weights %s → %s", weights(m.GetPreviousWeights()), weights(m.GetWeights())))
		case "min_size":
			why = append(why, fmt.Sprintf("min_size %d → %d", m.GetPreviousMinSize(), m.GetMinSize()))
		case "max_size":
			why = append(why, fmt.Sprintf("max_size %d → %d", m.GetPreviousMaxSize(), m.GetMaxSize()))
		}
	}
	return fmt.Sprintf("swarm %s settings changed: %v", m.GetSwarmId(), m.GetChanged()), why
}

func dissolved(m *hivev1.SwarmDissolved) (string, []string) {
	return fmt.Sprintf("swarm %s dissolved", m.GetSwarmId()), []string{"reason: " + m.GetReason(),
		fmt.Sprintf("%d members left, %d unfinished tasks cancelled (forced: %t), %d open proposals closed",
			m.GetMembersLeft(), m.GetTasksCancelled(), m.GetForced(), m.GetProposalsClosed())}
}
