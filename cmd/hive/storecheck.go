package main

import (
	"errors"
	"fmt"
	"path/filepath"

	"hive/projections"
)

// foreignDataDirError: read models of the data dir were saved at positions
// beyond the head of the event store --store names. They were not built
// from this store as it is: the data dir is another store's (another
// database), or the store was restored from an older backup.
type foreignDataDirError struct {
	ahead *readModelsAheadError
	store storeURL
}

func (e *foreignDataDirError) Error() string {
	furthest, names := e.ahead.reached()
	return fmt.Sprintf("the read models saved in %s reached position %d (%s), but the event store --store %s ends at position %d: "+
		"this data dir belongs to another store (another database), or the store was restored from an older backup; "+
		"start with this store's own --data-dir, or rebuild the read models from it first (hive projections rebuild --store URL --data-dir %s)",
		e.ahead.dir, furthest, names, e.store, e.ahead.head, filepath.Dir(e.ahead.dir))
}

// readModelsBeyond checks the positions of the read models saved in dir
// against head, the head of the store s: a *foreignDataDirError if any is
// beyond it. The embedded store checks this itself, as evidence of how
// far its log went (readModelEvidence); another store is shared, restored
// and pointed at by URL, so a data dir that is not its own is the likely
// cause.
func readModelsBeyond(saved []projections.Saved, head uint64, dir string, s storeURL) error {
	var ahead *readModelsAheadError
	if errors.As(readModelsAhead(saved, head, dir), &ahead) {
		return &foreignDataDirError{ahead: ahead, store: s}
	}
	return nil
}
