package workflow

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadTaskKey: a string is not a task key.
var ErrBadTaskKey = errors.New("malformed task key")

// TaskKey is the key of the task that does generation generation of a
// run's step: "<runID>/<stepID>/<generation>". The swarm deduplicates tasks
// by key, and every result names it, so results of an older generation are
// recognised as stale.
func TaskKey(runID, stepID string, generation int) string {
	return runID + "/" + stepID + "/" + strconv.Itoa(generation)
}

// ParseTaskKey splits a key made by TaskKey. The router uses the run id to
// address the run's entity.
func ParseTaskKey(key string) (runID, stepID string, generation int, err error) {
	parts := strings.Split(key, "/")
	if len(parts) != 3 || parts[0] == "" || !isStepID(parts[1]) {
		return "", "", 0, fmt.Errorf("%w: %q is not <run>/<step>/<generation>", ErrBadTaskKey, key)
	}
	generation, err = strconv.Atoi(parts[2])
	if err != nil || generation < 1 || parts[2] != strconv.Itoa(generation) {
		return "", "", 0, fmt.Errorf("%w: %q: generation must be a positive integer", ErrBadTaskKey, key)
	}
	return parts[0], parts[1], generation, nil
}
