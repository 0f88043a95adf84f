package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// MaxEventBytes bounds the encoded size of the events that carry JSON this
// package assembles (RunStarted, StepsAdded, StepDispatched), below
// events.DefaultMaxEventSize with room for metadata, so that a store at its
// default limit never refuses them.
const MaxEventBytes = 768 << 10

// plan is one decision being made: the events so far and what they change
// that later events depend on (the run's status, its spending, a step just
// completed), so that a decision sees its own events without changing the
// state.
type plan struct {
	s       *State
	runID   string
	swarmID string
	at      time.Time
	status  Status
	budget  ledger.Budget
	spent   ledger.Usage
	events  []proto.Message
	// justDone and justOutput are the step completed by this decision.
	justDone   string
	justOutput json.RawMessage
}

func (s *State) plan(at time.Time) *plan {
	return &plan{s: s, runID: s.ID, swarmID: s.SwarmID, at: at, status: s.Status, budget: s.Budget, spent: s.Usage}
}

func (p *plan) emit(msgs ...proto.Message) { p.events = append(p.events, msgs...) }

// ready offers a step whose dependencies have all completed: it asks for
// approval if it needs one and has none, else it is dispatched.
func (p *plan) ready(def *Step, generation int, approved bool, reason string) {
	if def.Approval && !approved {
		var deadline int64
		if def.ApprovalTimeout > 0 {
			deadline = p.at.Add(def.ApprovalTimeout).UnixNano()
		}
		p.emit(&hivev1.StepAwaitingApproval{RunId: p.runID, StepId: def.ID, Generation: int32(generation), DeadlineUnixNano: deadline, AtUnixNano: unixNano(p.at)})
		return
	}
	p.dispatch(def, generation, reason)
}

// dispatch dispatches a ready step if the run is running within its
// budget. Otherwise the step stays ready, held until the run resumes, its
// budget is raised, or its failed steps are retried; the first step held by
// the budget records that the budget is exhausted.
func (p *plan) dispatch(def *Step, generation int, reason string) {
	if p.status != StatusRunning {
		return
	}
	if p.overBudget(); p.status != StatusRunning {
		return
	}
	input := p.taskInput(def)
	msg := &hivev1.StepDispatched{
		RunId: p.runID, SwarmId: p.swarmID, StepId: def.ID, Generation: int32(generation),
		Key: TaskKey(p.runID, def.ID, generation), Capability: def.Capability, Input: input,
		Priority: int32(def.Priority), MaxAttempts: int32(max(def.Retry.MaxAttempts, 1)),
		BackoffNanos: int64(def.Retry.Backoff), TimeoutNanos: int64(def.Timeout), Planner: def.Planner,
		Reason: reason, AtUnixNano: unixNano(p.at),
	}
	if !p.budget.Unlimited() {
		msg.RunBudget = p.budget.Proto()
	}
	if p.spent != (ledger.Usage{}) {
		msg.RunSpent = p.spent.Proto()
	}
	if size := proto.Size(msg); size > MaxEventBytes {
		p.failStep(&hivev1.StepFailed{RunId: p.runID, StepId: def.ID, Generation: int32(generation),
			Key: msg.Key, ByRun: true, AtUnixNano: unixNano(p.at),
			Reason: fmt.Sprintf("its input with its dependencies' outputs is %d bytes, over the limit of %d", size, MaxEventBytes)})
		return
	}
	p.emit(msg)
}

// overBudget records that the run's spending reached its budget while
// steps are unfinished, unless a step held by the budget recorded it
// already: the swarm then holds the run's queued tasks (it counts the
// run's spending too), and the run its ready steps, until the budget is
// raised.
func (p *plan) overBudget() {
	if p.status == StatusRunning && p.budget.Exhausted(p.spent) {
		p.status = StatusBudgetExhausted
		p.emit(&hivev1.RunBudgetExhausted{RunId: p.runID, Budget: p.budget.Proto(), Spent: p.spent.Proto(),
			Reason: exhaustedReason(p.budget, p.spent), AtUnixNano: unixNano(p.at)})
	}
}

// failStep records a step's failure and fails the run unless it already
// failed.
func (p *plan) failStep(failed *hivev1.StepFailed) {
	p.emit(failed)
	p.failRun(failed.GetStepId(), fmt.Sprintf("step %q failed: %s", failed.GetStepId(), failed.GetReason()))
}

func (p *plan) failRun(stepID, reason string) {
	if p.status == StatusFailed {
		return
	}
	p.status = StatusFailed
	p.emit(&hivev1.RunFailed{RunId: p.runID, StepId: stepID, Reason: reason, AtUnixNano: unixNano(p.at)})
}

// taskInput is {"input": <the step's input>, "deps": {"<id>": <output>}},
// with dependencies in the order the step lists them. Step ids need no JSON
// escaping, and inputs and outputs were checked to be JSON when recorded.
func (p *plan) taskInput(def *Step) []byte {
	input := def.Input
	if len(input) == 0 {
		input = json.RawMessage("null")
	}
	var b bytes.Buffer
	b.WriteString(`{"input":`)
	b.Write(input)
	b.WriteString(`,"deps":{`)
	for i, dep := range def.DependsOn {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		b.WriteString(dep)
		b.WriteString(`":`)
		b.Write(p.output(dep))
	}
	b.WriteString("}}")
	return b.Bytes()
}

// output is the output of a completed step.
func (p *plan) output(id string) json.RawMessage {
	if id == p.justDone {
		return p.justOutput
	}
	if st := p.s.step(id); st != nil && len(st.output) > 0 {
		return st.output
	}
	return json.RawMessage("null")
}

// releaseHeld dispatches the steps held ready, in order, once the run is
// running again. retried, if not nil, is a failed step being retried as
// generation retriedGen.
func (p *plan) releaseHeld(reason string, retried *stepState, retriedGen int) {
	for _, st := range p.s.steps {
		if p.status != StatusRunning {
			return
		}
		switch {
		case st == retried:
			p.dispatch(&st.def, retriedGen, reason)
		case st.status == StepReady:
			p.dispatch(&st.def, st.generation, reason)
		}
	}
}

func exhaustedReason(b ledger.Budget, spent ledger.Usage) string {
	if b.Tokens > 0 && spent.Tokens() >= b.Tokens {
		return fmt.Sprintf("spent %d tokens of a budget of %d", spent.Tokens(), b.Tokens)
	}
	return fmt.Sprintf("spent %d cost micros of a budget of %d", spent.CostMicros, b.CostMicros)
}
