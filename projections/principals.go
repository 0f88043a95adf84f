package projections

import (
	"maps"
	"slices"
	"sync"
	"time"

	"hive/events"
)

// systemPrincipal names the events that carry no principal.
const systemPrincipal = "system"

// PrincipalActivity is what one principal did: its commands, the events
// they caused, by type, and when it was last seen.
type PrincipalActivity struct {
	Principal string `json:"principal"`
	// Commands counts the runs of consecutive events with one causation id.
	Commands int            `json:"commands"`
	Events   int            `json:"events"`
	LastSeen time.Time      `json:"last_seen"`
	ByType   map[string]int `json:"by_type"`
	// Position is the log position of the principal's last event.
	Position uint64 `json:"position"`
}

// Principals is the read model of per-principal activity. It is safe for
// concurrent use: one projection goroutine applies, any number of readers
// read.
type Principals struct {
	mu         sync.RWMutex
	checkpoint uint64
	byName     map[string]*PrincipalActivity
	causation  string  // of the last event
	touched    touched // principals changed since the last call to Changed
}

var (
	_ Live       = (*Principals)(nil)
	_ Persistent = (*Principals)(nil)
)

// NewPrincipals returns an empty per-principal activity read model.
func NewPrincipals() *Principals { return &Principals{byName: map[string]*PrincipalActivity{}} }

// Name implements Projection.
func (p *Principals) Name() string { return "principals" }

// Checkpoint implements Projection.
func (p *Principals) Checkpoint() uint64 {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return p.checkpoint
}

// Apply implements Projection.
func (p *Principals) Apply(c *events.Committed) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.applyOne(c)
}

// ApplyBatch implements Batcher.
func (p *Principals) ApplyBatch(batch []*events.Committed) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return applyEach(batch, p.applyOne)
}

// applyOne applies c; p.mu is held.
func (p *Principals) applyOne(c *events.Committed) error {
	env := &c.Envelope
	name := env.Principal
	if name == "" {
		name = systemPrincipal
	}
	a := p.byName[name]
	if a == nil {
		a = &PrincipalActivity{Principal: name, ByType: map[string]int{}}
		p.byName[name] = a
	}
	if env.CausationID != p.causation || p.checkpoint == 0 {
		a.Commands++
		p.causation = env.CausationID
	}
	a.Events++
	a.ByType[env.Type]++
	a.LastSeen, a.Position = env.RecordedAt, env.Position
	p.touched.add(name)
	p.checkpoint = env.Position
	return nil
}

func (a *PrincipalActivity) clone() PrincipalActivity {
	c := *a
	c.ByType = maps.Clone(a.ByType)
	return c
}

// All returns every principal's activity, by name.
func (p *Principals) All() []PrincipalActivity {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]PrincipalActivity, 0, len(p.byName))
	for _, name := range slices.Sorted(maps.Keys(p.byName)) {
		out = append(out, p.byName[name].clone())
	}
	return out
}

// Changed implements Live: the principals active since the last call.
func (p *Principals) Changed(dst []Change) ([]Change, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	defer p.touched.reset()
	var err error
	for _, name := range p.touched.ids {
		if dst, err = appendChange(dst, TopicPrincipals, p.checkpoint, name, p.byName[name]); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// principalsState is the saved state of Principals.
type principalsState struct {
	Checkpoint uint64              `json:"checkpoint"`
	Causation  string              `json:"causation"`
	Principals []PrincipalActivity `json:"principals"` // by name
}

// MarshalState implements Persistent.
func (p *Principals) MarshalState() ([]byte, error) {
	st := principalsState{Principals: p.All()}
	p.mu.RLock()
	defer p.mu.RUnlock()
	st.Checkpoint, st.Causation = p.checkpoint, p.causation
	return encodeState(p.Name(), st)
}

// UnmarshalState implements Persistent.
func (p *Principals) UnmarshalState(data []byte) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.checkpoint, p.byName, p.causation = 0, map[string]*PrincipalActivity{}, ""
	p.touched.reset()
	var st principalsState
	if err := decodeState(p.Name(), data, &st); err != nil {
		return err
	}
	for _, a := range st.Principals {
		if a.ByType == nil {
			a.ByType = map[string]int{}
		}
		p.byName[a.Principal] = &a
	}
	p.checkpoint, p.causation = st.Checkpoint, st.Causation
	return nil
}
