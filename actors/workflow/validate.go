package workflow

import (
	"encoding/json"
	"fmt"
	"strings"

	"hive/actors/decision"
)

// ValidateSteps checks steps to be added to a run that already has the
// steps in existing (nil for a new run): at start, and when a planner adds
// steps. Fields are named under fieldPrefix, e.g. "steps[3].depends_on[0]".
//
// Step ids must be tokens, unique within the run; dependencies must name a
// step of the run or of steps; steps must not depend on each other in a
// cycle (reported as its path, "a -> b -> a", where "->" reads "depends
// on"); the run may not exceed decision.MaxSteps, nor a step
// decision.MaxDependencies; and every field must be within its limit (see
// Step). A list over its limit is reported alone, without its items. The
// error is a *decision.InvalidError.
func ValidateSteps(existing map[string]bool, steps []Step, fieldPrefix string) error {
	var f decision.Fields
	checkSteps(&f, func(id string) bool { return existing[id] }, len(existing), steps, fieldPrefix)
	return f.Err()
}

// checkSteps is ValidateSteps for a run of count steps, those for which
// exists is true. Steps that exist never depend on new ones, so a cycle can
// only be among the new steps.
func checkSteps(f *decision.Fields, exists func(string) bool, count int, steps []Step, prefix string) {
	if count+len(steps) > decision.MaxSteps {
		f.Add(prefix, fmt.Sprintf("a run has at most %d steps, not %d", decision.MaxSteps, count+len(steps)))
		return
	}
	ids := make(map[string]int, len(steps))
	unique := true
	for i, st := range steps {
		at := stepField{f, prefix, i}
		checkStep(at, st)
		if j, dup := ids[st.ID]; dup {
			at.add(".id", fmt.Sprintf("duplicate step id %s (also %s[%d])", decision.Quote(st.ID), prefix, j))
			unique = false
		} else if st.ID != "" && exists(st.ID) {
			at.add(".id", fmt.Sprintf("step %s already exists", decision.Quote(st.ID)))
		} else {
			ids[st.ID] = i
		}
	}
	for i, st := range steps {
		checkDependencies(stepField{f, prefix, i}, st, ids, exists)
	}
	if unique {
		if i, j, path := findCycle(steps, ids); path != nil {
			stepField{f, prefix, i}.add(fmt.Sprintf(".depends_on[%d]", j), "dependency cycle: "+strings.Join(path, " -> "))
		}
	}
}

// stepField names the fields of the step at index i, building the names
// only for the invalid ones.
type stepField struct {
	f      *decision.Fields
	prefix string
	i      int
}

func (s stepField) add(sub, reason string) {
	s.f.Add(fmt.Sprintf("%s[%d]%s", s.prefix, s.i, sub), reason)
}

func checkStep(at stepField, st Step) {
	if !isStepID(st.ID) {
		at.add(".id", fmt.Sprintf("%s: must be 1 to %d ASCII letters, digits, '-' or '_'", decision.Quote(st.ID), decision.MaxStepIDLength))
	}
	if st.Capability != "" && !isCapability(st.Capability) {
		at.add(".capability", fmt.Sprintf("%s: must be 1 to %d ASCII letters, digits, '.', '_', '-' or '/' (or empty for any agent)", decision.Quote(st.Capability), decision.MaxCapabilityLength))
	}
	switch {
	case len(st.Input) > decision.MaxJSONBytes:
		at.add(".input", fmt.Sprintf("must be at most %d bytes, not %d", decision.MaxJSONBytes, len(st.Input)))
	case len(st.Input) > 0 && !json.Valid(st.Input):
		at.add(".input", "must be valid JSON")
	}
	if st.Retry.MaxAttempts < 0 || st.Retry.MaxAttempts > MaxAttempts {
		at.add(".retry.max_attempts", fmt.Sprintf("must be between 1 and %d (0 means 1)", MaxAttempts))
	}
	if st.Retry.Backoff < 0 || st.Retry.Backoff > MaxBackoff {
		at.add(".retry.backoff", fmt.Sprintf("must be between 0 and %s", MaxBackoff))
	}
	if st.Timeout < 0 || st.Timeout > MaxTimeout {
		at.add(".timeout", fmt.Sprintf("must be between 0 and %s", MaxTimeout))
	}
	switch {
	case st.ApprovalTimeout < 0 || st.ApprovalTimeout > MaxApprovalTimeout:
		at.add(".approval_timeout", fmt.Sprintf("must be between 0 and %s", MaxApprovalTimeout))
	case st.ApprovalTimeout > 0 && !st.Approval:
		at.add(".approval_timeout", "is only allowed on a step that needs approval")
	}
	if st.Priority < 0 || st.Priority > MaxPriority {
		at.add(".priority", fmt.Sprintf("must be between 0 and %d", MaxPriority))
	}
}

func checkDependencies(at stepField, st Step, ids map[string]int, exists func(string) bool) {
	if len(st.DependsOn) > decision.MaxDependencies {
		at.add(".depends_on", fmt.Sprintf("a step has at most %d dependencies, not %d", decision.MaxDependencies, len(st.DependsOn)))
		return
	}
	seen := make(map[string]bool, len(st.DependsOn))
	for j, dep := range st.DependsOn {
		_, isNew := ids[dep]
		switch {
		case seen[dep]:
			at.add(fmt.Sprintf(".depends_on[%d]", j), fmt.Sprintf("duplicate dependency %s", decision.Quote(dep)))
		case !isNew && !exists(dep):
			at.add(fmt.Sprintf(".depends_on[%d]", j), fmt.Sprintf("unknown step %s", decision.Quote(dep)))
		}
		seen[dep] = true
	}
}

// isStepID reports whether id is 1 to MaxStepIDLength ASCII letters, digits,
// '-' and '_'. Step ids never contain '/', which separates a task key.
func isStepID(id string) bool {
	return isToken(id, decision.MaxStepIDLength, "-_")
}

// isCapability reports whether c is a capability as agents advertise them.
func isCapability(c string) bool {
	return isToken(c, decision.MaxCapabilityLength, "._-/")
}

func isToken(s string, maxLen int, extra string) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte(extra, c) >= 0) {
			return false
		}
	}
	return true
}
