package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/invopop/jsonschema"

	"hive/actors/token"
)

// The OpenAPI 3.1 document of the API, served at GET /openapi.json. It is
// built once, when the server starts, from operations (openapi_operations.go),
// the access rules (access.go) and JSON Schemas reflected from the Go types
// of the bodies (openapi_schemas.go). Tests check it against the routes Gin
// serves and against real requests and responses.

// openAPIPath is where the document is served.
const openAPIPath = "/openapi.json"

// document is an OpenAPI 3.1 document: what Hive uses of it.
type document struct {
	OpenAPI    string                              `json:"openapi"`
	Info       docInfo                             `json:"info"`
	Servers    []docServer                         `json:"servers"`
	Tags       []docTag                            `json:"tags"`
	Security   []map[string][]string               `json:"security"`
	Paths      map[string]map[string]*docOperation `json:"paths"`
	Components docComponents                       `json:"components"`
}

type docInfo struct {
	Title       string `json:"title"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

// docServer is where the API is served. Hive cannot know the address
// its clients reach it at (proxies, port mappings), so the document names
// the relative URL "/": the origin the document itself was read from.
type docServer struct {
	URL         string `json:"url"`
	Description string `json:"description"`
}

type docTag struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

type docOperation struct {
	OperationID string   `json:"operationId"`
	Summary     string   `json:"summary"`
	Description string   `json:"description,omitempty"`
	Tags        []string `json:"tags"`
	// Security is nil for the document's default (a bearer token), and
	// points at an empty list for a route open to anyone.
	Security    *[]map[string][]string `json:"security,omitempty"`
	Parameters  []docParameter         `json:"parameters,omitempty"`
	RequestBody *docRequestBody        `json:"requestBody,omitempty"`
	Responses   map[string]docResponse `json:"responses"`
	// Roles are the token roles that may call the operation.
	Roles []token.Role `json:"x-hive-roles,omitempty"`
}

type docParameter struct {
	Ref         string             `json:"$ref,omitempty"`
	Name        string             `json:"name,omitempty"`
	In          string             `json:"in,omitempty"`
	Description string             `json:"description,omitempty"`
	Required    bool               `json:"required,omitempty"`
	Schema      *jsonschema.Schema `json:"schema,omitempty"`
	Example     any                `json:"example,omitempty"`
}

type docRequestBody struct {
	Description string              `json:"description,omitempty"`
	Required    bool                `json:"required"`
	Content     map[string]docMedia `json:"content"`
}

// docContent is a response body of several media types.
type docContent map[string]docMedia

type docMedia struct {
	Schema  *jsonschema.Schema `json:"schema,omitempty"`
	Example any                `json:"example,omitempty"`
}

type docResponse struct {
	Description string               `json:"description"`
	Headers     map[string]docHeader `json:"headers,omitempty"`
	Content     map[string]docMedia  `json:"content,omitempty"`
}

type docHeader struct {
	Ref         string             `json:"$ref,omitempty"`
	Description string             `json:"description,omitempty"`
	Schema      *jsonschema.Schema `json:"schema,omitempty"`
}

type docComponents struct {
	Schemas         map[string]*jsonschema.Schema `json:"schemas"`
	Parameters      map[string]docParameter       `json:"parameters"`
	Headers         map[string]docHeader          `json:"headers"`
	SecuritySchemes map[string]docSecurityScheme  `json:"securitySchemes"`
}

type docSecurityScheme struct {
	Type        string `json:"type"`
	Scheme      string `json:"scheme"`
	Description string `json:"description"`
}

// openAPIDocument builds the document as JSON. metricsAuth is whether
// /metrics needs a token.
func openAPIDocument(metricsAuth bool) ([]byte, error) {
	sch := newSchemas()
	doc := &document{
		OpenAPI: "3.1.0",
		Info: docInfo{Title: "Hive", Version: "v1", Description: "Hive's command and query API: an event-sourced control plane for fleets of AI agents. " +
			"Every error is an RFC 9457 problem (application/problem+json). Every /v1 request needs a bearer token; each operation lists " +
			"the roles that may call it (x-hive-roles). Commands answer the entity with the global position of their last event " +
			"(\"position\" and Hive-Position), to read with ?min_position=."},
		Servers:    []docServer{{URL: "/", Description: "the server that serves this document"}},
		Tags:       docTags,
		Security:   []map[string][]string{{"bearer": {}}},
		Paths:      map[string]map[string]*docOperation{},
		Components: docComponents{Parameters: sharedParameters, Headers: sharedHeaders, SecuritySchemes: securitySchemes},
	}
	for _, op := range operations() {
		o, err := op.document(sch, metricsAuth)
		if err != nil {
			return nil, err
		}
		path := openAPIPathOf(op.path)
		if doc.Paths[path] == nil {
			doc.Paths[path] = map[string]*docOperation{}
		}
		doc.Paths[path][strings.ToLower(op.method)] = o
	}
	if sch.err != nil {
		return nil, sch.err
	}
	if err := applyLimits(sch.defs); err != nil {
		return nil, err
	}
	doc.Components.Schemas = sch.defs
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return bytes.ReplaceAll(raw, []byte(`"`+defsPrefix), []byte(`"#/components/schemas/`)), nil
}

// ginParam is a path parameter as Gin writes it.
var ginParam = regexp.MustCompile(`:([A-Za-z_]+)`)

// openAPIPathOf turns a Gin path into a path template: :id becomes {id}.
func openAPIPathOf(ginPath string) string {
	return ginParam.ReplaceAllString(ginPath, "{$1}")
}

// document describes op.
func (op operation) document(sch *schemas, metricsAuth bool) (*docOperation, error) {
	o := &docOperation{OperationID: op.id, Summary: op.summary, Description: op.description, Tags: []string{op.tag},
		Responses: map[string]docResponse{}}
	v1 := strings.HasPrefix(op.path, "/v1/")
	if v1 {
		r, ok := access[op.method+" "+op.path]
		if !ok {
			return nil, fmt.Errorf("openapi: %s %s has no access rule", op.method, op.path)
		}
		o.Roles = append([]token.Role{token.RoleAdmin}, r.roles...)
		o.Description = strings.TrimSpace(o.Description + "\n\n" + rolesText(r))
	} else if !public[op.method+" "+op.path] {
		return nil, fmt.Errorf("openapi: %s %s is neither under /v1 nor public", op.method, op.path)
	} else if !(op.path == "/metrics" && metricsAuth) {
		o.Security = &[]map[string][]string{}
	}
	o.Parameters = op.parameters(v1)
	if op.body != nil {
		o.RequestBody = &docRequestBody{Required: !op.bodyOptional, Content: map[string]docMedia{
			"application/json": {Schema: sch.requestRef(op.body), Example: op.example}}}
	}
	for _, r := range op.responses {
		o.Responses[strconv.Itoa(r.status)] = r.document(sch, op.command)
	}
	for _, status := range op.problemStatuses(v1) {
		o.Responses[strconv.Itoa(status)] = problemResponse(sch, status)
	}
	return o, nil
}

// rolesText says who may call a route.
func rolesText(r rule) string {
	roles := append([]token.Role{token.RoleAdmin}, r.roles...)
	names := make([]string, len(roles))
	for i, role := range roles {
		names[i] = string(role)
	}
	text := "Roles: " + strings.Join(names, ", ") + "."
	switch r.agent {
	case inPath:
		text += " An agent token may call it only as its own agent: the path's id."
	case inBody:
		text += " An agent token may call it only as its own agent: agent_id in the body."
	}
	return text
}

// parameters are op's path, query and header parameters.
func (op operation) parameters(v1 bool) []docParameter {
	var ps []docParameter
	for _, m := range ginParam.FindAllStringSubmatchIndex(op.path, -1) {
		name := op.path[m[2]:m[3]]
		segments := strings.Split(op.path[:m[0]], "/")
		ps = append(ps, pathParameter(segments[len(segments)-2], name))
	}
	ps = append(ps, op.query...)
	if v1 && op.method == http.MethodGet {
		ps = append(ps, docParameter{Ref: "#/components/parameters/MinPosition"})
	}
	if op.command {
		ps = append(ps, docParameter{Ref: "#/components/parameters/CorrelationId"}, docParameter{Ref: "#/components/parameters/IfMatch"})
		if !op.noIdempotencyKey {
			ps = append(ps, docParameter{Ref: "#/components/parameters/IdempotencyKey"})
		}
	}
	return ps
}

// problemStatuses are the error statuses op may answer.
func (op operation) problemStatuses(v1 bool) []int {
	statuses := slices.Clone(op.problems)
	if v1 {
		statuses = append(statuses, http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
			http.StatusTooManyRequests, http.StatusInternalServerError, http.StatusServiceUnavailable)
	}
	if strings.Contains(op.path, ":") {
		statuses = append(statuses, http.StatusNotFound)
	}
	if op.command {
		statuses = append(statuses, http.StatusConflict, http.StatusPreconditionFailed, http.StatusUnprocessableEntity, http.StatusInsufficientStorage)
	}
	if op.body != nil {
		statuses = append(statuses, http.StatusRequestEntityTooLarge)
	}
	slices.Sort(statuses)
	return slices.Compact(statuses)
}

// document describes r; a command's success carries its position and the
// entity's version.
func (r response) document(sch *schemas, command bool) docResponse {
	d := docResponse{Description: r.description, Headers: map[string]docHeader{}}
	if d.Description == "" {
		d.Description = http.StatusText(r.status)
	}
	for _, h := range r.headers {
		d.Headers[h] = docHeader{Ref: "#/components/headers/" + h}
	}
	if command && r.status < 300 {
		for _, h := range []string{positionHeader, etagHeader, replayedHeader} {
			d.Headers[h] = docHeader{Ref: "#/components/headers/" + h}
		}
	}
	switch body := r.body.(type) {
	case nil:
	case docMedia:
		d.Content = map[string]docMedia{r.contentType: body}
	case docContent:
		d.Content = body
	default:
		ct := r.contentType
		if ct == "" {
			ct = "application/json"
		}
		d.Content = map[string]docMedia{ct: {Schema: sch.responseRef(body)}}
	}
	if len(d.Headers) == 0 {
		d.Headers = nil
	}
	return d
}

// problemResponse is the problem answered with status.
func problemResponse(sch *schemas, status int) docResponse {
	d := docResponse{Description: problemText[status], Content: map[string]docMedia{
		problemContentType: {Schema: sch.responseRef(Problem{})}}}
	switch status {
	case http.StatusUnauthorized:
		d.Headers = map[string]docHeader{"WWW-Authenticate": {Ref: "#/components/headers/WWW-Authenticate"}}
	case http.StatusTooManyRequests, http.StatusServiceUnavailable:
		d.Headers = map[string]docHeader{"Retry-After": {Ref: "#/components/headers/Retry-After"}}
	}
	return d
}

// problemText says when each error status is answered.
var problemText = map[int]string{
	http.StatusBadRequest:            "Malformed: bad JSON, an unknown or wrongly typed field, or a bad query parameter or header (urn:hive:problem:malformed-body).",
	http.StatusUnauthorized:          "No token, or not a valid one (urn:hive:problem:unauthenticated).",
	http.StatusForbidden:             "The token's role may not do this; required_roles names those that may (urn:hive:problem:forbidden).",
	http.StatusNotFound:              "No such entity (urn:hive:problem:not-found).",
	http.StatusConflict:              "The entity refuses the command in its current state (urn:hive:problem:conflict).",
	http.StatusPreconditionFailed:    "If-Match named another version; current_version is the entity's (urn:hive:problem:version-mismatch).",
	http.StatusRequestEntityTooLarge: "The body (or a task's output) is too large (urn:hive:problem:body-too-large).",
	http.StatusUnprocessableEntity:   "Invalid values, each field named in errors; or an Idempotency-Key used with another request (urn:hive:problem:invalid-field).",
	http.StatusTooManyRequests:       "The token made too many requests, or the client address too many that failed authentication; retry after Retry-After (urn:hive:problem:rate-limited).",
	http.StatusInternalServerError:   "An internal error (urn:hive:problem:internal).",
	http.StatusInsufficientStorage:   "The event store's disk is full: the command was not carried out; retry it once space is freed (urn:hive:problem:insufficient-storage).",
	http.StatusServiceUnavailable:    "Not handled in time, the event store cannot be reached, or the read models have not reached min_position, or are not ready; retrying is safe after Retry-After (urn:hive:problem:unavailable).",
}

// serveOpenAPI answers the document.
func (s *Server) serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", s.openapi)
}
