package agent

import (
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// MaxConcurrency bounds how many tasks an agent runs at once.
const MaxConcurrency = 1024

// ErrAlreadyRegistered: an agent with that name is registered.
var ErrAlreadyRegistered = fmt.Errorf("%w: agent name already registered", decision.ErrConflict)

// Register asks Hive to register an agent under a unique name.
type Register struct {
	Name         string
	Capabilities []string
	Labels       map[string]string
	// MaxConcurrency is how many tasks the agent runs at once; 0 means 1.
	MaxConcurrency int
	// At is when the command was received, and HeartbeatTimeout how long
	// the agent may then stay silent before it is lost.
	At               time.Time
	HeartbeatTimeout time.Duration
}

// CommandName implements the runtime's command naming.
func (Register) CommandName() string { return "RegisterAgent" }

// Validate checks the command on its own, before it reaches the entity.
func (c Register) Validate() error {
	var f decision.Fields
	f.Name("name", c.Name, decision.MaxNameLength)
	f.Capabilities("capabilities", c.Capabilities)
	checkLabels(&f, c.Labels)
	if c.MaxConcurrency < 0 || c.MaxConcurrency > MaxConcurrency {
		f.Add("max_concurrency", fmt.Sprintf("must be between 1 and %d (0 means 1)", MaxConcurrency))
	}
	return f.Err()
}

// checkLabels checks an agent's labels: their number first, then, if it is
// within the limit, each key and value.
func checkLabels(f *decision.Fields, labels map[string]string) {
	if len(labels) > decision.MaxLabels {
		f.Add("labels", fmt.Sprintf("at most %d labels, not %d", decision.MaxLabels, len(labels)))
		return
	}
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		v := labels[k]
		f.Token("labels", k, decision.MaxLabelKeyLength)
		if utf8.RuneCountInString(v) > decision.MaxLabelValueLength || !utf8.ValidString(v) {
			f.Add("labels."+k, fmt.Sprintf("must be valid UTF-8 of at most %d characters", decision.MaxLabelValueLength))
		}
	}
}

func (s *State) register(c Register) ([]proto.Message, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if s.Status != StatusUnregistered && s.Status != StatusGone {
		return nil, fmt.Errorf("%w: %q is agent %s", ErrAlreadyRegistered, s.Name, s.ID)
	}
	maxConcurrency := uint32(max(c.MaxConcurrency, 1))
	return []proto.Message{&hivev1.AgentRegistered{
		AgentId:          IDFor(c.Name),
		Name:             c.Name,
		Capabilities:     c.Capabilities,
		Labels:           c.Labels,
		MaxConcurrency:   maxConcurrency,
		DeadlineUnixNano: deadline(c.At, c.HeartbeatTimeout),
	}}, nil
}
