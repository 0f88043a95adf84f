package pgstore

import "sync/atomic"

// Stats are a store's counters since Open. They show how well group
// commit works (Appends or Events per Commit), which no decorator around
// the events.Store interface can see.
type Stats struct {
	// Commits is the number of transactions that appended events.
	Commits uint64
	// Appends is the number of appends committed; idempotent repeats and
	// refused appends are not counted.
	Appends uint64
	// Events is the number of events committed.
	Events uint64
}

type counters struct {
	commits, appends, events atomic.Uint64
}

// Stats returns the store's counters. It is cheap and works after Close.
func (s *Store) Stats() Stats {
	return Stats{
		Commits: s.stats.commits.Load(),
		Appends: s.stats.appends.Load(),
		Events:  s.stats.events.Load(),
	}
}
