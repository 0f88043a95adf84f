package projections

import (
	"errors"
	"log/slog"
)

// Saved is where a persistent projection's restored state stands.
type Saved struct {
	Name       string
	Checkpoint uint64
}

// Restore loads into each persistent projection of ps the state saved in
// states, and returns where each state restored stands: evidence of how
// far the log went, which a caller may check against the log before a
// runner runs them. A state that cannot be read is logged, and its
// projection left empty, to be rebuilt from the log. A runner restores
// its projections so itself when Run starts, except those given to it
// already at a position, which it takes as restored.
func Restore(states StateStore, logger *slog.Logger, ps ...Projection) []Saved {
	var saved []Saved
	for _, proj := range ps {
		p, ok := proj.(Persistent)
		if !ok {
			continue
		}
		data, err := states.Load(p.Name())
		if errors.Is(err, ErrNoState) {
			continue
		}
		if err == nil {
			err = p.UnmarshalState(data)
		}
		if err != nil {
			logger.Warn("projection state unreadable: rebuilding from the log", "projection", p.Name(), "err", err)
			continue
		}
		saved = append(saved, Saved{Name: p.Name(), Checkpoint: p.Checkpoint()})
		logger.Info("projection state restored", "projection", p.Name(), "checkpoint", p.Checkpoint())
	}
	return saved
}
