package projections

import (
	"slices"
	"sync"
	"time"

	"hive/events"
)

// throughputWindow is how many minutes the throughput view covers.
const throughputWindow = 60

// ThroughputMinute is what happened in one minute, by the events' recorded
// time.
type ThroughputMinute struct {
	// Minute is the minute's start.
	Minute time.Time `json:"minute"`
	Events int       `json:"events"`
	// Commands counts the runs of consecutive events with one causation id.
	Commands       int `json:"commands"`
	TasksCompleted int `json:"tasks_completed"`
	TasksFailed    int `json:"tasks_failed"`
}

// ThroughputView is the last hour's throughput: 60 minutes, oldest first,
// ending with the newest event's minute (none before the first event).
type ThroughputView struct {
	Position uint64             `json:"position"`
	Minutes  []ThroughputMinute `json:"minutes"`
}

// Throughput is the read model of events, commands and finished tasks per
// minute over the last hour. It is safe for concurrent use: one projection
// goroutine applies, any number of readers read.
type Throughput struct {
	mu         sync.RWMutex
	checkpoint uint64
	ring       [throughputWindow]ThroughputMinute // by minute number modulo the window
	newest     int64                              // minute number (Unix minutes) of the newest bucket
	causation  string                             // of the last event
	touched    []int64                            // minutes changed since the last call to Changed
}

var (
	_ Live       = (*Throughput)(nil)
	_ Persistent = (*Throughput)(nil)
)

// NewThroughput returns an empty throughput read model.
func NewThroughput() *Throughput { return &Throughput{} }

// Name implements Projection.
func (t *Throughput) Name() string { return "throughput" }

// Checkpoint implements Projection.
func (t *Throughput) Checkpoint() uint64 {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.checkpoint
}

// Apply implements Projection.
func (t *Throughput) Apply(c *events.Committed) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.applyOne(c)
}

// ApplyBatch implements Batcher.
func (t *Throughput) ApplyBatch(batch []*events.Committed) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return applyEach(batch, t.applyOne)
}

// applyOne applies c; t.mu is held.
func (t *Throughput) applyOne(c *events.Committed) error {
	env := &c.Envelope
	commands := 0
	if env.CausationID != t.causation || t.checkpoint == 0 {
		commands, t.causation = 1, env.CausationID
	}
	t.checkpoint = env.Position
	minute := env.RecordedAt.Unix() / 60
	if minute > t.newest {
		t.newest = minute
	}
	if minute < 0 || minute <= t.newest-throughputWindow {
		return nil // older than the window
	}
	b := &t.ring[slot(minute)]
	if b.Minute.IsZero() || b.Minute.Unix()/60 != minute {
		*b = ThroughputMinute{Minute: time.Unix(minute*60, 0).UTC()}
	}
	b.Events++
	b.Commands += commands
	switch env.Type {
	case "hive.v1.TaskCompleted":
		b.TasksCompleted++
	case "hive.v1.TaskFailed":
		b.TasksFailed++
	}
	if !slices.Contains(t.touched, minute) {
		// A handful at most: events arrive in about the order of their time.
		t.touched = append(t.touched, minute)
	}
	return nil
}

// slot is where the ring keeps minute m.
func slot(m int64) int64 { return (m%throughputWindow + throughputWindow) % throughputWindow }

// bucket is the minute's bucket, empty if nothing was counted in it.
func (t *Throughput) bucket(minute int64) ThroughputMinute {
	if b := t.ring[slot(minute)]; !b.Minute.IsZero() && b.Minute.Unix()/60 == minute {
		return b
	}
	return ThroughputMinute{Minute: time.Unix(minute*60, 0).UTC()}
}

// View returns the last hour's throughput.
func (t *Throughput) View() ThroughputView {
	t.mu.RLock()
	defer t.mu.RUnlock()
	v := ThroughputView{Position: t.checkpoint, Minutes: []ThroughputMinute{}}
	if t.checkpoint == 0 {
		return v
	}
	for m := t.newest - throughputWindow + 1; m <= t.newest; m++ {
		v.Minutes = append(v.Minutes, t.bucket(m))
	}
	return v
}

// Changed implements Live: the minutes events were counted in since the
// last call, each with its start in RFC 3339 as id.
func (t *Throughput) Changed(dst []Change) ([]Change, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	defer func() { t.touched = t.touched[:0] }()
	var err error
	for _, m := range t.touched {
		if m <= t.newest-throughputWindow {
			continue // out of the window since
		}
		b := t.bucket(m)
		if dst, err = appendChange(dst, TopicThroughput, t.checkpoint, b.Minute.Format(time.RFC3339), b); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// throughputState is the saved state of Throughput.
type throughputState struct {
	Checkpoint uint64             `json:"checkpoint"`
	Newest     int64              `json:"newest"`
	Causation  string             `json:"causation"`
	Minutes    []ThroughputMinute `json:"minutes"` // the counted ones of the window
}

// MarshalState implements Persistent.
func (t *Throughput) MarshalState() ([]byte, error) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	st := throughputState{Checkpoint: t.checkpoint, Newest: t.newest, Causation: t.causation, Minutes: []ThroughputMinute{}}
	for m := t.newest - throughputWindow + 1; m <= t.newest; m++ {
		if b := t.bucket(m); b.Events > 0 {
			st.Minutes = append(st.Minutes, b)
		}
	}
	return encodeState(t.Name(), st)
}

// UnmarshalState implements Persistent.
func (t *Throughput) UnmarshalState(data []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.checkpoint, t.ring, t.newest, t.causation, t.touched = 0, [throughputWindow]ThroughputMinute{}, 0, "", nil
	var st throughputState
	if err := decodeState(t.Name(), data, &st); err != nil {
		return err
	}
	for _, b := range st.Minutes {
		m := b.Minute.Unix() / 60
		if m >= 0 && m > st.Newest-throughputWindow && m <= st.Newest {
			b.Minute = b.Minute.UTC()
			t.ring[slot(m)] = b
		}
	}
	t.checkpoint, t.newest, t.causation = st.Checkpoint, st.Newest, st.Causation
	return nil
}
