package workflow

import (
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// CompleteStep records that the task Key completed with Output. The usage
// is added to the run's ledger, the step's dependents that waited only for
// it are dispatched (or await approval, or are held by a pause or the
// budget), and the run completes when every step has. Sent by the router; a
// stale key, a finished step or a cancelled run decide nothing.
//
// A planner step may add steps: AddSteps is a JSON array of Step (or empty,
// or null). They may depend on any step of the run and on each other, and
// are validated as ValidateSteps does with fields named "add_steps[i]...".
// A result the run cannot accept (output not JSON or too large, additions
// invalid or from a step that is not a planner) fails the step and the run,
// with the problem as the reason; the swarm's task is done, so nothing
// retries it unless someone sends RetryStep.
type CompleteStep struct {
	Key     string
	TaskID  string
	AgentID string
	// Output is the step's output, JSON of at most decision.MaxJSONBytes; empty
	// means null.
	Output   json.RawMessage
	Usage    ledger.Usage
	AddSteps json.RawMessage
	At       time.Time
}

// CommandName implements the runtime's command naming.
func (CompleteStep) CommandName() string { return "CompleteStep" }
func (CompleteStep) workflowCommand()    {}

func (s *State) completeStep(c CompleteStep) ([]proto.Message, error) {
	if err := checkUsage(c.Usage); err != nil {
		return nil, err
	}
	st, err := s.inFlightStep(c.Key)
	if st == nil || err != nil {
		return nil, err
	}
	p := s.plan(c.At)
	p.spent = p.spent.Add(c.Usage)
	taskID, agentID := truncate(c.TaskID, MaxIDLength), truncate(c.AgentID, MaxIDLength)
	output, problem := checkOutput(c.Output)
	var added []Step
	if problem == "" {
		added, problem = s.additions(st, c.AddSteps)
	}
	if problem != "" {
		p.failStep(&hivev1.StepFailed{RunId: s.ID, StepId: st.def.ID, Generation: int32(st.generation), Key: c.Key,
			TaskId: taskID, AgentId: agentID, Reason: problem, Usage: c.Usage.Proto(), ByRun: true, AtUnixNano: unixNano(c.At)})
		return p.events, nil
	}
	p.emit(&hivev1.StepCompleted{RunId: s.ID, StepId: st.def.ID, Generation: int32(st.generation), Key: c.Key,
		TaskId: taskID, AgentId: agentID, Output: output, Usage: c.Usage.Proto(), AtUnixNano: unixNano(c.At)})
	p.justDone, p.justOutput = st.def.ID, output
	if len(added) > 0 {
		p.emit(&hivev1.StepsAdded{RunId: s.ID, ByStep: st.def.ID, Steps: stepsProto(added), AtUnixNano: unixNano(c.At)})
	}
	for _, i := range st.dependents {
		if d := s.steps[i]; d.status == StepPending && d.waiting == 1 {
			p.ready(&d.def, d.generation, false, "dependencies completed")
		}
	}
	for i := range added {
		if s.dependenciesDone(&added[i], st.def.ID) {
			p.ready(&added[i], 1, false, fmt.Sprintf("added by planner step %q", st.def.ID))
		}
	}
	if len(added) == 0 && s.bad == 0 && s.done+1 == len(s.steps) {
		p.emit(&hivev1.RunCompleted{RunId: s.ID, Usage: p.spent.Proto(), AtUnixNano: unixNano(c.At),
			Reason: fmt.Sprintf("all %d steps completed", len(s.steps))})
	} else {
		p.overBudget()
	}
	return p.events, nil
}

// checkOutput returns the output to record (null for none), or why it
// cannot be.
func checkOutput(out json.RawMessage) (json.RawMessage, string) {
	switch {
	case len(out) == 0:
		return json.RawMessage("null"), ""
	case len(out) > decision.MaxJSONBytes:
		return nil, fmt.Sprintf("its output is %d bytes, over the limit of %d", len(out), decision.MaxJSONBytes)
	case !json.Valid(out):
		return nil, "its output is not valid JSON"
	}
	return out, ""
}

// dependenciesDone reports whether every dependency of a step being added
// has completed, counting the step completing now.
func (s *State) dependenciesDone(def *Step, completing string) bool {
	for _, dep := range def.DependsOn {
		if d := s.step(dep); dep != completing && (d == nil || d.status != StepCompleted) {
			return false
		}
	}
	return true
}
