// Package definition holds the decisions of the workflow definition entity:
// a named DAG of steps, versioned, that workflow runs are started from. A
// run copies the steps of the version it starts from, so saving a new
// version never changes a run already started.
package definition

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	"hive/actors/workflow"
	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Kind is the entity kind of definitions; a definition's stream is
// "definition-<id>".
const Kind = "definition"

var (
	// ErrNotFound: no definition of that name was saved.
	ErrNotFound = fmt.Errorf("%w: workflow definition", decision.ErrNotFound)
	// ErrNoVersion: the definition has no such version.
	ErrNoVersion = fmt.Errorf("%w: workflow definition version", decision.ErrNotFound)
)

var idNamespace = uuid.MustParse("2a7f0c1e-5b3d-4e8a-9c61-0d4b7e2f8a13")

// IDFor returns the id of the definition named name.
func IDFor(name string) string { return uuid.NewSHA1(idNamespace, []byte(name)).String() }

// Version is one saved version of a definition.
type Version struct {
	Version     int             `json:"version"`
	Description string          `json:"description,omitempty"`
	Steps       []workflow.Step `json:"steps"`
	SavedAt     time.Time       `json:"saved_at"`
}

// State is a definition and all its versions, rebuilt from its events.
type State struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Versions []Version `json:"versions"`
}

// Save saves a new version of the definition named Name (the first one
// creates it). Saving the steps and description of the newest version again
// changes nothing.
type Save struct {
	Name, Description string
	Steps             []workflow.Step
	At                time.Time
}

// CommandName implements the runtime's command naming.
func (Save) CommandName() string { return "SaveDefinition" }

// Validate checks the command on its own, before it reaches the entity.
func (c Save) Validate() error {
	var f decision.Fields
	f.Name("name", c.Name, decision.MaxNameLength)
	f.Text("description", c.Description, decision.MaxDescriptionLength, true)
	if len(c.Steps) == 0 {
		f.Add("steps", "at least one step is required")
	}
	if err := f.Err(); err != nil {
		return err
	}
	return workflow.ValidateSteps(nil, c.Steps, "steps")
}

// Latest returns the newest version, or the one numbered v if v > 0.
func (s *State) Latest(v int) (Version, error) {
	if len(s.Versions) == 0 {
		return Version{}, ErrNotFound
	}
	if v == 0 {
		return s.Versions[len(s.Versions)-1], nil
	}
	if v < 0 || v > len(s.Versions) {
		return Version{}, fmt.Errorf("%w: %q has versions 1 to %d, not %d", ErrNoVersion, s.Name, len(s.Versions), v)
	}
	return s.Versions[v-1], nil
}

// Decide returns the events command c causes, or why it is rejected.
func (s State) Decide(c any) ([]proto.Message, error) {
	save, ok := c.(Save)
	if !ok {
		return nil, fmt.Errorf("%w: a workflow definition cannot handle %T", decision.ErrInvalid, c)
	}
	if err := save.Validate(); err != nil {
		return nil, err
	}
	if n := len(s.Versions); n > 0 && s.Versions[n-1].Description == save.Description && sameSteps(s.Versions[n-1].Steps, save.Steps) {
		return nil, nil
	}
	saved := &hivev1.DefinitionSaved{DefinitionId: IDFor(save.Name), Name: save.Name, Version: uint32(len(s.Versions) + 1),
		Description: save.Description, AtUnixNano: save.At.UnixNano()}
	for _, st := range save.Steps {
		saved.Steps = append(saved.Steps, st.Proto())
	}
	return []proto.Message{saved}, nil
}

func sameSteps(a, b []workflow.Step) bool {
	return slices.EqualFunc(a, b, func(x, y workflow.Step) bool { return proto.Equal(x.Proto(), y.Proto()) })
}

// Apply evolves the state by one recorded event.
func (s *State) Apply(env *events.Envelope, msg proto.Message) error {
	m, ok := msg.(*hivev1.DefinitionSaved)
	if !ok {
		return fmt.Errorf("definition %s: %w: %s", s.ID, events.ErrUnknownType, env.Type)
	}
	v := Version{Version: int(m.GetVersion()), Description: m.GetDescription(), SavedAt: env.RecordedAt}
	for _, p := range m.GetSteps() {
		v.Steps = append(v.Steps, workflow.StepFromProto(p))
	}
	s.ID, s.Name = m.GetDefinitionId(), m.GetName()
	s.Versions = append(s.Versions, v)
	return nil
}

// View returns a copy of the state that shares nothing with it. Versions
// are immutable once saved, so their steps are shared.
func (s *State) View() any {
	v := *s
	v.Versions = slices.Clone(s.Versions)
	if v.Versions == nil {
		v.Versions = []Version{}
	}
	return v
}
