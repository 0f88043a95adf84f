package api

import (
	"encoding/json"
	"strconv"

	"github.com/invopop/jsonschema"

	"hive/actors/agent"
	"hive/actors/definition"
	"hive/actors/swarm"
)

// The parts of the document that operations share: tags, security, the
// headers of commands and responses, and the path and query parameters.

var docTags = []docTag{
	{"agents", "Agents: registration, lifecycle and reads."},
	{"workers", "The worker protocol: what an agent's process calls to learn of its tasks and report on them."},
	{"swarms", "Swarms: members, tasks, budgets and consensus."},
	{"workflows", "Workflow runs and saved workflow definitions."},
	{"tasks", "Tasks and their results."},
	{"events", "The event log, for audits."},
	{"tokens", "Bearer tokens (admin only)."},
	{"operations", "Health, readiness, metrics and this document."},
	{"dashboard", "The web dashboard's page and files: no token (the page asks for one)."},
}

var securitySchemes = map[string]docSecurityScheme{
	"bearer": {Type: "http", Scheme: "bearer", Description: "A Hive token (hive token create, or <data-dir>/admin.token): Authorization: Bearer <token>."},
}

// Examples of ids, as the examples of requests use them.
var (
	exampleAgentID      = agent.IDFor("coder-1")
	exampleSwarmID      = swarm.IDFor("crew")
	exampleTaskID       = swarm.TaskID(exampleSwarmID, 1)
	exampleRunID        = "01970b2e-4c55-7d2a-9c1e-3f6a2b8d4e10"
	exampleDefinitionID = definition.IDFor("release")
	exampleProposalID   = "01970b2f-0a11-7b3c-8d4e-5f6a7b8c9d0e"
	exampleTokenID      = "01970b30-6e21-7f4a-a1b2-c3d4e5f60718"
	exampleStepID       = "ship"
	exampleStream       = "agent-" + exampleAgentID
)

// pathParameters describe a path parameter by the collection it follows.
var pathParameters = map[string]struct {
	description string
	example     string
}{
	"agents":               {"The agent's id: the UUIDv5 of its name.", exampleAgentID},
	"members":              {"The member agent's id.", exampleAgentID},
	"swarms":               {"The swarm's id: the UUIDv5 of its name.", exampleSwarmID},
	"proposals":            {"The proposal's id (Hive-Proposal-Id of its creation).", exampleProposalID},
	"workflows":            {"The workflow run's id.", exampleRunID},
	"runs":                 {"The workflow run's id.", exampleRunID},
	"steps":                {"The step's id within the run.", exampleStepID},
	"workflow-definitions": {"The definition's id: the UUIDv5 of its name.", exampleDefinitionID},
	"tasks":                {"The task's id: <swarm id>.<sequence>.", exampleTaskID},
	"tokens":               {"The token's id.", exampleTokenID},
	"streams":              {"The stream's name, e.g. agent-<id>, swarm-<id>, workflow-<id>.", exampleStream},
	"ui":                   {"The file's name, e.g. app.js or style.css.", "app.js"},
}

func pathParameter(collection, name string) docParameter {
	p := pathParameters[collection]
	return docParameter{Name: name, In: "path", Required: true, Description: p.description, Example: p.example, Schema: &jsonschema.Schema{Type: "string"}}
}

func query(name, description string, schema *jsonschema.Schema) docParameter {
	return docParameter{Name: name, In: "query", Description: description, Schema: schema}
}

func stringSchema() *jsonschema.Schema { return &jsonschema.Schema{Type: "string"} }

func enumSchema(values ...string) *jsonschema.Schema {
	s := &jsonschema.Schema{Type: "string"}
	for _, v := range values {
		s.Enum = append(s.Enum, v)
	}
	return s
}

func integerSchema(minimum int) *jsonschema.Schema {
	return &jsonschema.Schema{Type: "integer", Minimum: json.Number(strconv.Itoa(minimum))}
}

// Query parameters that several operations take.
var (
	pageQuery = []docParameter{{Ref: "#/components/parameters/Limit"}, {Ref: "#/components/parameters/Cursor"}}
	reason    = query("reason", "Why, for the record.", stringSchema())
)

var sharedParameters = map[string]docParameter{
	"Limit": {Name: "limit", In: "query", Description: "The most items in the page.",
		Schema: &jsonschema.Schema{Type: "integer", Minimum: "1", Maximum: json.Number(strconv.Itoa(maxPageLimit)), Default: defaultPageLimit}},
	"Cursor": {Name: "cursor", In: "query", Description: "Where the page starts: next_cursor of the previous page, unchanged.", Schema: stringSchema()},
	"MinPosition": {Name: "min_position", In: "query", Description: "Read your writes: wait (a little) until the read models reflect the event at this " +
		"global position, a command's \"position\"; 503 with Retry-After if they do not in time.", Schema: integerSchema(0)},
	"IdempotencyKey": {Name: idempotencyHeader, In: "header", Description: "Sent again with the same method, path and body within 24 h, " +
		"the command gets the first response again (Idempotent-Replayed: true) and changes nothing; with another request, 422. Scoped to the caller.",
		Schema: &jsonschema.Schema{Type: "string", MinLength: ptr(uint64(1)), MaxLength: ptr(uint64(maxKeyLength)), Pattern: "^[!-~]+$"}},
	"IfMatch": {Name: ifMatchHeader, In: "header", Description: "Apply the command only at this entity version (an ETag), else 412.",
		Schema: stringSchema(), Example: `"5"`},
	"CorrelationId": {Name: correlationHeader, In: "header", Description: "Ties the command's events to others (their correlation_id).",
		Schema: &jsonschema.Schema{Type: "string", MaxLength: ptr(uint64(maxCorrelationLength)), Pattern: "^[!-~]*$"}},
}

var sharedHeaders = map[string]docHeader{
	etagHeader:         {Description: "The entity's version, quoted: what If-Match takes.", Schema: stringSchema()},
	positionHeader:     {Description: "The global position of the command's last event (0 if it appended none).", Schema: stringSchema()},
	"Location":         {Description: "Where the created entity is read.", Schema: stringSchema()},
	"Retry-After":      {Description: "Seconds to wait before retrying.", Schema: stringSchema()},
	replayedHeader:     {Description: "\"true\" on a response replayed for a repeated Idempotency-Key.", Schema: stringSchema()},
	"WWW-Authenticate": {Description: `Bearer realm="hive"`, Schema: stringSchema()},
	"Hive-Proposal-Id": {Description: "The id of the proposal opened.", Schema: stringSchema()},
	endedHeader: {Description: "\"true\" when the run or task has ended, \"false\" when it has not (a wait that passed or that the " +
		"server's shutdown cut short answers the state as it is).", Schema: enumSchema("true", "false")},
}

func ptr[T any](v T) *T { return &v }
