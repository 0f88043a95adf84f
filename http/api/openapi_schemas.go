package api

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/invopop/jsonschema"

	"hive/actors/agent"
	"hive/actors/decision"
	"hive/actors/definition"
	"hive/actors/ledger"
	"hive/actors/swarm"
	"hive/actors/token"
	"hive/actors/workflow"
	"hive/projections"
)

// The JSON Schemas of the document are reflected from the Go types the
// handlers decode and encode, so that the document cannot drift from them.
// Two reflectors: one for request bodies, whose fields are all optional
// (a missing field the command needs is a 422 naming it) and whose names
// of shared types end in "Input"; one for responses, where a field without
// omitempty or omitzero is always present. Both refuse unknown properties:
// decodeJSON does, and a response carries exactly its type's fields.

// The bodies the API answers that have no Go type of their own, as types
// to reflect. Commands answer the entity's view with "position" added
// (writeResult); the *Result types say so.
type (
	agentResult struct {
		// Position is the global position of the command's last event (0
		// when it appended none); read with ?min_position= to see it.
		Position uint64 `json:"position"`
		agent.State
	}
	swarmResult struct {
		Position uint64 `json:"position"`
		swarm.View
	}
	workflowRunResult struct {
		Position uint64 `json:"position"`
		workflow.RunView
	}
	workflowDefinitionResult struct {
		Position uint64 `json:"position"`
		definition.State
	}
	tokenResult struct {
		Position uint64 `json:"position"`
		token.State
	}
	submittedTaskResult struct {
		Position uint64 `json:"position"`
		submitted
	}
	taskReportResult struct {
		Position uint64 `json:"position"`
		taskResult
	}
	createdTokenResult struct {
		Position uint64 `json:"position"`
		createdToken
	}
	agentPage struct {
		Agents []projections.Agent `json:"agents"`
		// NextCursor is given while there is more: pass it as cursor.
		NextCursor string `json:"next_cursor,omitempty"`
	}
	swarmPage struct {
		Swarms     []projections.Entry `json:"swarms"`
		NextCursor string              `json:"next_cursor,omitempty"`
	}
	workflowPage struct {
		Workflows  []projections.Entry `json:"workflows"`
		NextCursor string              `json:"next_cursor,omitempty"`
	}
	workflowDefinitionPage struct {
		Definitions []projections.Entry `json:"definitions"`
		NextCursor  string              `json:"next_cursor,omitempty"`
	}
	eventPage struct {
		Events []EventJSON `json:"events"`
		// NextCursor is always given, also at the end of the log, to poll
		// for what comes next.
		NextCursor string `json:"next_cursor"`
		// Head is the position of the log's newest event.
		Head uint64 `json:"head,omitempty"`
	}
	streamPage struct {
		Stream string      `json:"stream"`
		Events []EventJSON `json:"events"`
	}
	agentTaskList struct {
		Tasks []swarm.Task `json:"tasks"`
	}
	tokenList struct {
		Tokens []projections.Token `json:"tokens"`
	}
	progressResult struct {
		TaskID  string  `json:"task_id"`
		AgentID string  `json:"agent_id"`
		Message string  `json:"message"`
		Percent float64 `json:"percent"`
	}
	healthStatus struct {
		Status string `json:"status"`
	}
	// stepDoc is the JSON form of a workflow.Step (see its MarshalJSON).
	stepDoc struct {
		// ID is unique within the run: 1 to 64 ASCII letters, digits, '-', '_'.
		ID         string          `json:"id"`
		Capability string          `json:"capability,omitempty"`
		Input      json.RawMessage `json:"input,omitempty"`
		DependsOn  []string        `json:"depends_on,omitempty"`
		Retry      *retryDoc       `json:"retry,omitempty"`
		// Timeout bounds one attempt, as a Go duration such as "15m".
		Timeout         string `json:"timeout,omitempty" jsonschema:"example=15m"`
		Approval        bool   `json:"approval,omitempty"`
		ApprovalTimeout string `json:"approval_timeout,omitempty" jsonschema:"example=1h"`
		Priority        int    `json:"priority,omitempty" jsonschema:"minimum=0,maximum=9"`
		Planner         bool   `json:"planner,omitempty"`
	}
	retryDoc struct {
		MaxAttempts int    `json:"max_attempts,omitempty"`
		Backoff     string `json:"backoff,omitempty" jsonschema:"example=10s"`
	}
)

// schemaNames are the component names of the types whose package-qualified
// name would say less.
var schemaNames = map[reflect.Type]string{
	reflect.TypeFor[agent.State]():            "AgentState",
	reflect.TypeFor[agent.Task]():             "AgentTask",
	reflect.TypeFor[agent.Stats]():            "AgentStats",
	reflect.TypeFor[projections.Agent]():      "Agent",
	reflect.TypeFor[swarm.View]():             "Swarm",
	reflect.TypeFor[swarm.Task]():             "Task",
	reflect.TypeFor[workflow.RunView]():       "WorkflowRun",
	reflect.TypeFor[definition.State]():       "WorkflowDefinition",
	reflect.TypeFor[definition.Version]():     "WorkflowDefinitionVersion",
	reflect.TypeFor[token.State]():            "TokenState",
	reflect.TypeFor[projections.Token]():      "Token",
	reflect.TypeFor[projections.Entry]():      "DirectoryEntry",
	reflect.TypeFor[projections.Work]():       "Assignments",
	reflect.TypeFor[decision.FieldError]():    "FieldError",
	reflect.TypeFor[stepDoc]():                "Step",
	reflect.TypeFor[retryDoc]():               "RetryPolicy",
	reflect.TypeFor[EventJSON]():              "Event",
	reflect.TypeFor[ledger.Budget]():          "Budget",
	reflect.TypeFor[ledger.Usage]():           "Usage",
	reflect.TypeFor[projections.Assignment](): "Assignment",
	reflect.TypeFor[projections.Revocation](): "Revocation",
	reflect.TypeFor[projections.Progress]():   "TaskProgress",
	reflect.TypeFor[projections.Task]():       "TaskDetail",
	reflect.TypeFor[projections.Usage]():      "TaskUsage",
}

// schemaName names t's component: from schemaNames, else the type's name
// (exported) prefixed with its package's name unless it is this package's
// or already starts with it.
func schemaName(t reflect.Type) string {
	if n, ok := schemaNames[t]; ok {
		return n
	}
	if t.Name() == "" || t.PkgPath() == "" {
		return t.Name()
	}
	name := strings.ToUpper(t.Name()[:1]) + t.Name()[1:]
	pkg := t.PkgPath()[strings.LastIndexByte(t.PkgPath(), '/')+1:]
	if pkg == "api" || strings.HasPrefix(name, strings.ToUpper(pkg[:1])+pkg[1:]) {
		return name
	}
	return strings.ToUpper(pkg[:1]) + pkg[1:] + name
}

// schemas reflects Go types into the document's components.
type schemas struct {
	request, response *jsonschema.Reflector
	defs              map[string]*jsonschema.Schema
	// refs are the references made so far, by reflector and type.
	refs map[refKey]*jsonschema.Schema
	// types are the types named so far, by name.
	types map[string]reflect.Type
	// err is the first conflict between two types given one name.
	err error
}

// defsPrefix is where the reflector puts references; the document's are
// under components.
const defsPrefix = "#/$defs/"

func newSchemas() *schemas {
	s := &schemas{defs: map[string]*jsonschema.Schema{}, types: map[string]reflect.Type{}, refs: map[refKey]*jsonschema.Schema{}}
	stepRef := func(suffix string) func(reflect.Type) *jsonschema.Schema {
		return func(t reflect.Type) *jsonschema.Schema {
			if t == reflect.TypeFor[workflow.Step]() {
				return &jsonschema.Schema{Ref: defsPrefix + "Step" + suffix}
			}
			return nil
		}
	}
	s.request = &jsonschema.Reflector{Anonymous: true, RequiredFromJSONSchemaTags: true, Mapper: stepRef("Input"),
		Namer: s.unique(func(t reflect.Type) string {
			if t.Name() == "" || t.PkgPath() == "" {
				return t.Name()
			}
			if t.PkgPath() == reflect.TypeFor[Problem]().PkgPath() && t != reflect.TypeFor[stepDoc]() && t != reflect.TypeFor[retryDoc]() {
				return schemaName(t)
			}
			return schemaName(t) + "Input"
		})}
	s.response = &jsonschema.Reflector{Anonymous: true, Mapper: stepRef(""), Namer: s.unique(schemaName)}
	// The steps' JSON form, referred to by the mapper above.
	s.requestRef(stepDoc{})
	s.responseRef(stepDoc{})
	return s
}

// requestRef returns a reference to the schema of the request body v.
func (s *schemas) requestRef(v any) *jsonschema.Schema {
	return s.add(s.request, reflect.TypeOf(v), false)
}

// responseRef returns a reference to the schema of the response body v.
func (s *schemas) responseRef(v any) *jsonschema.Schema {
	return s.add(s.response, reflect.TypeOf(v), true)
}

// refKey is a type as one of the reflectors sees it.
type refKey struct {
	r *jsonschema.Reflector
	t reflect.Type
}

func (s *schemas) add(r *jsonschema.Reflector, t reflect.Type, required bool) *jsonschema.Schema {
	if ref, ok := s.refs[refKey{r, t}]; ok {
		return &jsonschema.Schema{Ref: ref.Ref}
	}
	root := r.ReflectFromType(t)
	if required {
		dropOmitZero(root.Definitions, r.Namer, t, map[reflect.Type]bool{})
	}
	for name, def := range root.Definitions {
		if _, ok := s.defs[name]; !ok {
			s.defs[name] = def
		}
	}
	s.refs[refKey{r, t}] = &jsonschema.Schema{Ref: root.Ref}
	return &jsonschema.Schema{Ref: root.Ref}
}

// unique wraps namer so that two types given one name are an error.
func (s *schemas) unique(namer func(reflect.Type) string) func(reflect.Type) string {
	return func(t reflect.Type) string {
		name := namer(t)
		if name == "" {
			return name
		}
		if prior, ok := s.types[name]; ok && prior != t && s.err == nil {
			s.err = fmt.Errorf("openapi: two types have the schema name %s: %s and %s", name, prior, t)
		}
		s.types[name] = t
		return name
	}
}

// dropOmitZero makes the fields tagged omitzero optional in the schemas of t
// and the types it contains: the reflector knows only omitempty.
func dropOmitZero(defs jsonschema.Definitions, name func(reflect.Type) string, t reflect.Type, seen map[reflect.Type]bool) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Array {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] || t.PkgPath() == "time" {
		return
	}
	seen[t] = true
	def := defs[name(t)]
	var walk func(reflect.Type)
	walk = func(st reflect.Type) {
		for f := range st.Fields() {
			tag := f.Tag.Get("json")
			if f.Anonymous && tag == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type)
				continue
			}
			if !f.IsExported() || tag == "-" {
				continue
			}
			key, opts, _ := strings.Cut(tag, ",")
			if key == "" {
				key = f.Name
			}
			if def != nil && strings.Contains(","+opts+",", ",omitzero,") {
				def.Required = remove(def.Required, key)
			}
			dropOmitZero(defs, name, f.Type, seen)
		}
	}
	walk(t)
}

func remove(list []string, s string) []string {
	out := list[:0]
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}
