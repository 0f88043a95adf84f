package projections

import (
	"sync"
	"time"

	"hive/events"
	hivev1 "hive/proto/hive/v1"
)

// Entry is one swarm, workflow run or workflow definition in the directory.
type Entry struct {
	Kind string `json:"kind"`
	ID   string `json:"id"`
	Name string `json:"name"`
	// SwarmID is the swarm of a workflow run.
	SwarmID string `json:"swarm_id,omitempty"`
	// Status is a run's status: running, paused, completed, failed or
	// cancelled; "dissolved" for a dissolved swarm, else empty for swarms.
	Status string `json:"status,omitempty"`
	// Version is a definition's newest version.
	Version   int       `json:"version,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Directory lists the swarms, workflow runs and definitions, for the list
// endpoints; details come from the entities themselves. It is safe for
// concurrent use.
type Directory struct {
	mu         sync.RWMutex
	checkpoint uint64
	byID       map[string]*Entry
	order      []string
	// runs wakes the callers waiting for a run's status to change.
	runs watches
}

var _ Projection = (*Directory)(nil)

// NewDirectory returns an empty directory.
func NewDirectory() *Directory { return &Directory{byID: make(map[string]*Entry)} }

// Name implements Projection.
func (d *Directory) Name() string { return "directory" }

// Checkpoint implements Projection.
func (d *Directory) Checkpoint() uint64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.checkpoint
}

// statuses are the events that change a run's or a swarm's status.
var statuses = map[string]string{
	"hive.v1.SwarmDissolved": "dissolved",
	"hive.v1.RunPaused":      "paused",
	"hive.v1.RunResumed":     "running",
	"hive.v1.RunCompleted":   "completed",
	"hive.v1.RunFailed":      "failed",
	"hive.v1.RunCancelled":   "cancelled",
	"hive.v1.StepRetried":    "running",
}

// runStatusEvents are the events of a run that may change its status:
// each wakes the run's watchers (WatchRun).
var runStatusEvents = map[string]bool{
	"hive.v1.RunPaused": true, "hive.v1.RunResumed": true, "hive.v1.RunCancelled": true, "hive.v1.RunCompleted": true,
	"hive.v1.RunFailed": true, "hive.v1.RunBudgetExhausted": true, "hive.v1.RunBudgetChanged": true, "hive.v1.StepRetried": true,
}

// Apply implements Projection.
func (d *Directory) Apply(c *events.Committed) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.applyOne(c)
}

// ApplyBatch implements Batcher.
func (d *Directory) ApplyBatch(batch []*events.Committed) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return applyEach(batch, d.applyOne)
}

// applyOne applies c; d.mu is held.
func (d *Directory) applyOne(c *events.Committed) error {
	env := &c.Envelope
	d.checkpoint = env.Position
	switch env.Type {
	case "hive.v1.SwarmCreated", "hive.v1.RunStarted", "hive.v1.DefinitionSaved":
	default:
		if st, ok := statuses[env.Type]; ok {
			if e := d.byID[streamID(env.Stream)]; e != nil {
				e.Status = st
			}
		}
		if runStatusEvents[env.Type] {
			d.runs.wake(streamID(env.Stream))
		}
		return nil
	}
	msg, err := c.Message()
	if err != nil {
		return err
	}
	e := &Entry{CreatedAt: env.RecordedAt}
	switch m := msg.(type) {
	case *hivev1.SwarmCreated:
		e.Kind, e.ID, e.Name = "swarm", m.GetSwarmId(), m.GetName()
	case *hivev1.RunStarted:
		e.Kind, e.ID, e.Name, e.SwarmID, e.Status = "workflow", m.GetRunId(), m.GetName(), m.GetSwarmId(), "running"
	case *hivev1.DefinitionSaved:
		if old := d.byID[m.GetDefinitionId()]; old != nil {
			old.Version = int(m.GetVersion())
			return nil
		}
		e.Kind, e.ID, e.Name, e.Version = "definition", m.GetDefinitionId(), m.GetName(), int(m.GetVersion())
	}
	if _, ok := d.byID[e.ID]; !ok {
		d.order = append(d.order, e.ID)
	}
	d.byID[e.ID] = e
	return nil
}

// WatchRun returns a channel closed once the directory applies an event
// that may change the status of run id (paused, resumed, cancelled,
// completed, failed, budget exhausted or changed, a step retried), and
// stop, which forgets the watch; call stop when done waiting, woken or
// not. A caller that watches before it reads the run's status from the
// run's entity misses no change: the entity holds every event before the
// directory applies it.
func (d *Directory) WatchRun(id string) (wake <-chan struct{}, stop func()) {
	return d.runs.watch(id)
}

// streamID is the entity id of a "<kind>-<id>" stream.
func streamID(stream string) string {
	for i := range len(stream) {
		if stream[i] == '-' {
			return stream[i+1:]
		}
	}
	return ""
}

// Page returns up to limit entries of kind for which match is true, oldest
// first, looking from the from-th entry on, and where to look next (0 when
// there is nothing more).
func (d *Directory) Page(kind string, from, limit int, match func(*Entry) bool) ([]Entry, int) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	out := []Entry{}
	for i := from; i < len(d.order); i++ {
		if e := d.byID[d.order[i]]; e.Kind == kind && match(e) {
			if len(out) == limit {
				return out, i
			}
			out = append(out, *e)
		}
	}
	return out, 0
}

var _ Persistent = (*Directory)(nil)

// directoryState is the saved state of Directory.
type directoryState struct {
	Checkpoint uint64  `json:"checkpoint"`
	Entries    []Entry `json:"entries"` // oldest first
}

// MarshalState implements Persistent.
func (d *Directory) MarshalState() ([]byte, error) {
	d.mu.RLock()
	defer d.mu.RUnlock()
	st := directoryState{Checkpoint: d.checkpoint, Entries: make([]Entry, 0, len(d.order))}
	for _, id := range d.order {
		st.Entries = append(st.Entries, *d.byID[id])
	}
	return encodeState(d.Name(), st)
}

// UnmarshalState implements Persistent.
func (d *Directory) UnmarshalState(data []byte) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.checkpoint, d.byID, d.order = 0, map[string]*Entry{}, nil
	var st directoryState
	if err := decodeState(d.Name(), data, &st); err != nil {
		return err
	}
	for _, e := range st.Entries {
		if _, dup := d.byID[e.ID]; !dup {
			d.order = append(d.order, e.ID)
		}
		d.byID[e.ID] = &e
	}
	d.checkpoint = st.Checkpoint
	return nil
}
