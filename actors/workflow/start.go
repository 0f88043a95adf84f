package workflow

import (
	"fmt"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/ledger"
	hivev1 "hive/proto/hive/v1"
)

// MaxSwarmIDLength bounds the swarm id a run is started on.
const MaxSwarmIDLength = 128

// Start starts a run of a DAG of steps on a swarm. Steps without
// dependencies are dispatched at once (or await approval).
type Start struct {
	// RunID is a UUID (v7) chosen by the API.
	RunID   string
	Name    string
	SwarmID string
	Steps   []Step
	// Budget bounds what the run may spend; zero fields are no bound.
	Budget ledger.Budget
	At     time.Time
}

// CommandName implements the runtime's command naming.
func (Start) CommandName() string { return "StartWorkflow" }
func (Start) workflowCommand()    {}

// Validate checks the command on its own, before it reaches the entity.
func (c Start) Validate() error {
	var f decision.Fields
	if _, err := uuid.Parse(c.RunID); err != nil {
		f.Add("run_id", "must be a UUID")
	}
	f.Text("name", c.Name, decision.MaxNameLength, true)
	if !isToken(c.SwarmID, MaxSwarmIDLength, "._-:") {
		f.Add("swarm_id", fmt.Sprintf("must be 1 to %d ASCII letters, digits, '.', '_', '-' or ':'", MaxSwarmIDLength))
	}
	if len(c.Steps) == 0 {
		f.Add("steps", "at least one step is required")
	}
	checkSteps(&f, func(string) bool { return false }, 0, c.Steps, "steps")
	c.Budget.Validate(&f, "budget")
	return f.Err()
}

func (s *State) start(c Start) ([]proto.Message, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if s.Status != StatusNotStarted {
		return nil, fmt.Errorf("%w: run %s", ErrAlreadyStarted, s.ID)
	}
	started := &hivev1.RunStarted{RunId: c.RunID, Name: c.Name, SwarmId: c.SwarmID, Steps: stepsProto(c.Steps),
		Budget: c.Budget.Proto(), AtUnixNano: unixNano(c.At)}
	if size := proto.Size(started); size > MaxEventBytes {
		var f decision.Fields
		f.Add("steps", fmt.Sprintf("the definition is %d bytes encoded, over the limit of %d", size, MaxEventBytes))
		return nil, f.Err()
	}
	p := &plan{s: s, runID: c.RunID, swarmID: c.SwarmID, at: c.At, status: StatusRunning, budget: c.Budget}
	p.emit(started)
	for i := range c.Steps {
		if def := c.Steps[i].normalized(); len(def.DependsOn) == 0 {
			p.ready(&def, 1, false, "root step")
		}
	}
	return p.events, nil
}
