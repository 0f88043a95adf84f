package api

import (
	"fmt"

	"github.com/invopop/jsonschema"

	"hive/actors/decision"
)

// schemaLimit is a limit of decision/limits.go (or of problems) as the
// document states it, on one property of one schema: maxItems (and
// minItems) of a list, maxLength of its items or of a string, and
// maxProperties of a map.
type schemaLimit struct {
	schema, property string
	// minItems, maxItems bound a list; itemLength its strings.
	minItems, maxItems, itemLength uint64
	// maxLength bounds a string, maxProperties a map.
	maxLength, maxProperties uint64
}

// schemaLimits are the limits the document states; applyLimits fails for a
// schema or property that is not in the document, so that the table
// follows the types.
var schemaLimits = []schemaLimit{
	{schema: "RegisterAgentRequest", property: "name", maxLength: decision.MaxNameLength},
	{schema: "RegisterAgentRequest", property: "capabilities", maxItems: decision.MaxCapabilities, itemLength: decision.MaxCapabilityLength},
	{schema: "RegisterAgentRequest", property: "labels", maxProperties: decision.MaxLabels},
	{schema: "CreateSwarmRequest", property: "name", maxLength: decision.MaxNameLength},
	{schema: "SubmitTaskRequest", property: "capability", maxLength: decision.MaxCapabilityLength},
	{schema: "ProposeRequest", property: "question", maxLength: decision.MaxDescriptionLength},
	{schema: "ProposeRequest", property: "options", minItems: decision.MinOptions, maxItems: decision.MaxOptions, itemLength: decision.MaxOptionLength},
	{schema: "ProposeRequest", property: "proposed_by", maxLength: decision.MaxNameLength},
	{schema: "FailTaskRequest", property: "reason", maxLength: decision.MaxReasonLength},
	{schema: "ProgressRequest", property: "message", maxLength: decision.MaxReasonLength},
	{schema: "UsageInput", property: "model", maxLength: decision.MaxNameLength},
	{schema: "ReasonRequest", property: "reason", maxLength: decision.MaxReasonLength},
	{schema: "OperatorRequest", property: "by", maxLength: decision.MaxNameLength},
	{schema: "OperatorRequest", property: "reason", maxLength: decision.MaxReasonLength},
	{schema: "OperatorRequest", property: "comment", maxLength: decision.MaxReasonLength},
	{schema: "CreateTokenRequest", property: "name", maxLength: decision.MaxNameLength},
	{schema: "StartWorkflowRequest", property: "name", maxLength: decision.MaxNameLength},
	{schema: "StartWorkflowRequest", property: "steps", maxItems: decision.MaxSteps},
	{schema: "SaveDefinitionRequest", property: "name", maxLength: decision.MaxNameLength},
	{schema: "SaveDefinitionRequest", property: "description", maxLength: decision.MaxDescriptionLength},
	{schema: "SaveDefinitionRequest", property: "steps", maxItems: decision.MaxSteps},
	{schema: "StepInput", property: "id", maxLength: decision.MaxStepIDLength},
	{schema: "StepInput", property: "capability", maxLength: decision.MaxCapabilityLength},
	{schema: "StepInput", property: "depends_on", maxItems: decision.MaxDependencies, itemLength: decision.MaxStepIDLength},
	{schema: "Problem", property: "errors", maxItems: maxProblemErrors},
}

// applyLimits states schemaLimits in defs.
func applyLimits(defs map[string]*jsonschema.Schema) error {
	for _, l := range schemaLimits {
		def, ok := defs[l.schema]
		if !ok || def.Properties == nil {
			return fmt.Errorf("openapi: limits of %s, which has no schema", l.schema)
		}
		p, ok := def.Properties.Get(l.property)
		if !ok {
			return fmt.Errorf("openapi: limits of %s.%s, which is not a property", l.schema, l.property)
		}
		p.MinItems, p.MaxItems = positive(l.minItems), positive(l.maxItems)
		p.MaxLength, p.MaxProperties = positive(l.maxLength), positive(l.maxProperties)
		if l.itemLength > 0 {
			if p.Items == nil {
				return fmt.Errorf("openapi: limits of the items of %s.%s, which is not a list", l.schema, l.property)
			}
			p.Items.MaxLength = positive(l.itemLength)
		}
	}
	return nil
}

// positive is a pointer to n, or nil for 0.
func positive(n uint64) *uint64 {
	if n == 0 {
		return nil
	}
	return &n
}
