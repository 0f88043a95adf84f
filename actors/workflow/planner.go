package workflow

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"google.golang.org/protobuf/proto"

	"hive/actors/decision"
	hivev1 "hive/proto/hive/v1"
)

// additions returns the steps a completing step adds, normalized, or why
// they cannot be added.
func (s *State) additions(st *stepState, raw json.RawMessage) ([]Step, string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, ""
	}
	if len(raw) > MaxEventBytes {
		return nil, fmt.Sprintf("its added steps are %d bytes, over the limit of %d", len(raw), MaxEventBytes)
	}
	var steps []Step
	if err := json.Unmarshal(raw, &steps); err != nil {
		return nil, "its added steps are not a JSON array of steps: " + err.Error()
	}
	if len(steps) == 0 {
		return nil, ""
	}
	if !st.def.Planner {
		return nil, fmt.Sprintf("step %q is not a planner, so it cannot add steps", st.def.ID)
	}
	var f decision.Fields
	checkSteps(&f, func(id string) bool { return s.step(id) != nil }, len(s.steps), steps, "add_steps")
	if len(f) > 0 {
		return nil, truncate("invalid steps added: "+describe(f), decision.MaxReasonLength)
	}
	for i := range steps {
		steps[i] = steps[i].normalized()
	}
	added := &hivev1.StepsAdded{RunId: s.ID, ByStep: st.def.ID, Steps: stepsProto(steps)}
	if size := proto.Size(added); size > MaxEventBytes {
		return nil, fmt.Sprintf("its added steps are %d bytes encoded, over the limit of %d", size, MaxEventBytes)
	}
	return steps, ""
}

// describe lists field errors as "field: reason; field: reason".
func describe(f decision.Fields) string {
	parts := make([]string, len(f))
	for i, e := range f {
		parts[i] = e.Field + ": " + e.Reason
	}
	return strings.Join(parts, "; ")
}
