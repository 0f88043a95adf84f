package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"

	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// openAPIDoc returns the document, decoded as plain JSON.
func openAPIDoc(t *testing.T) map[string]any {
	t.Helper()
	raw, err := openAPIDocument(false)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	return doc
}

// docOperations returns the document's operations by "METHOD /path".
func docOperations(doc map[string]any) map[string]map[string]any {
	ops := map[string]map[string]any{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			ops[strings.ToUpper(method)+" "+path] = op.(map[string]any)
		}
	}
	return ops
}

// TestOpenAPIDocumentsEveryRoute fails when a route Gin serves is not in
// the document, or the document has an operation Gin does not serve.
func TestOpenAPIDocumentsEveryRoute(t *testing.T) {
	s := &Server{logger: slog.New(slog.DiscardHandler)}
	served := map[string]bool{}
	for _, r := range s.routes().Routes() {
		served[r.Method+" "+openAPIPathOf(r.Path)] = true
	}
	documented := docOperations(openAPIDoc(t))
	open := map[string]bool{}
	for route := range public {
		open[openAPIPathOf(route)] = true
	}
	for route := range served {
		if documented[route] == nil {
			t.Errorf("%s is served but not in the OpenAPI document", route)
		}
	}
	for route := range documented {
		if !served[route] {
			t.Errorf("the OpenAPI document has %s, which is not served", route)
		}
	}
	for route := range served {
		if !strings.Contains(route, " /v1/") && !open[route] {
			t.Errorf("%s is outside /v1 but not in access.go's public routes", route)
		}
	}
	for route := range open {
		if !served[route] {
			t.Errorf("access.go's public route %s is not served", route)
		}
		if sec, ok := documented[route]["security"].([]any); !ok || (len(sec) != 0) {
			t.Errorf("%s is public, but documented with security %v", route, documented[route]["security"])
		}
	}
}

// TestOpenAPIDocumentIsWellFormed checks what an OpenAPI 3.1 validator
// would: the required fields, unique operation ids, declared path
// parameters, references that resolve, and schemas that compile.
func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	doc := openAPIDoc(t)
	if doc["openapi"] != "3.1.0" {
		t.Errorf("openapi = %v", doc["openapi"])
	}
	info, _ := doc["info"].(map[string]any)
	if info["title"] == "" || info["version"] == "" {
		t.Errorf("info = %v", info)
	}
	servers, _ := doc["servers"].([]any)
	if len(servers) == 0 {
		t.Error("the document has no servers")
	}
	for _, s := range servers {
		if u, _ := s.(map[string]any)["url"].(string); u == "" || (u != "/" && strings.HasSuffix(u, "/")) {
			t.Errorf("server %v: want a url without a trailing slash (or /)", s)
		}
	}
	ids := map[string]string{}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	for route, op := range docOperations(doc) {
		id, _ := op["operationId"].(string)
		if id == "" || ids[id] != "" {
			t.Errorf("%s: operationId %q is empty or also %s's", route, id, ids[id])
		}
		ids[id] = route
		if responses, _ := op["responses"].(map[string]any); len(responses) == 0 {
			t.Errorf("%s has no responses", route)
		}
		declared := map[string]bool{}
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			p := resolve(t, doc, p.(map[string]any))
			if p["name"] == "" || p["in"] == "" || p["schema"] == nil {
				t.Errorf("%s: parameter %v needs name, in and schema", route, p)
			}
			if p["in"] == "path" {
				declared[p["name"].(string)] = p["required"] == true
			}
		}
		path := route[strings.IndexByte(route, ' ')+1:]
		for _, m := range param.FindAllStringSubmatch(path, -1) {
			if !declared[m[1]] {
				t.Errorf("%s: path parameter %s is not declared as required", route, m[1])
			}
			delete(declared, m[1])
		}
		for name := range declared {
			t.Errorf("%s declares path parameter %s, which is not in its path", route, name)
		}
	}
	walkRefs(doc, func(ref string) {
		if _, err := pointer(doc, ref); err != nil {
			t.Errorf("$ref %s: %v", ref, err)
		}
	})
	c := schemaCompiler(t, doc)
	for name := range doc["components"].(map[string]any)["schemas"].(map[string]any) {
		if _, err := c.Compile(docURL + "#/components/schemas/" + name); err != nil {
			t.Errorf("schema %s: %v", name, err)
		}
	}
}

// TestOpenAPIExamplesMatchTheirSchemas validates every example request body
// against its schema, and checks the stream is documented as a stream.
func TestOpenAPIExamplesMatchTheirSchemas(t *testing.T) {
	doc := openAPIDoc(t)
	c := schemaCompiler(t, doc)
	for route, op := range docOperations(doc) {
		body, _ := op["requestBody"].(map[string]any)
		if body == nil {
			continue
		}
		media := body["content"].(map[string]any)["application/json"].(map[string]any)
		if media["example"] == nil {
			t.Errorf("%s has no example request", route)
			continue
		}
		sch, err := c.Compile(docURL + "#" + strings.TrimPrefix(media["schema"].(map[string]any)["$ref"].(string), "#"))
		if err != nil {
			t.Fatalf("%s: %v", route, err)
		}
		if err := sch.Validate(media["example"]); err != nil {
			t.Errorf("%s: the example does not match the schema: %v", route, err)
		}
	}
	stream := docOperations(doc)["GET /v1/agents/{id}/assignments/stream"]["responses"].(map[string]any)["200"].(map[string]any)
	if _, ok := stream["content"].(map[string]any)["text/event-stream"]; !ok {
		t.Errorf("the assignment stream is documented as %v, not text/event-stream", stream["content"])
	}
}

// docURL is where the schema compiler finds the document.
const docURL = "https://hive.invalid/openapi.json"

// schemaCompiler compiles the document's schemas as JSON Schema 2020-12,
// with formats asserted.
func schemaCompiler(t *testing.T, doc map[string]any) *jsonschema.Compiler {
	t.Helper()
	raw, _ := json.Marshal(doc)
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(docURL, v); err != nil {
		t.Fatal(err)
	}
	return c
}

// resolve follows v's $ref, if it has one.
func resolve(t *testing.T, doc, v map[string]any) map[string]any {
	t.Helper()
	ref, ok := v["$ref"].(string)
	if !ok {
		return v
	}
	target, err := pointer(doc, ref)
	if err != nil {
		t.Fatalf("$ref %s: %v", ref, err)
	}
	return target.(map[string]any)
}

// pointer returns what the local reference ref points at in doc.
func pointer(doc map[string]any, ref string) (any, error) {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil, fmt.Errorf("not a local reference")
	}
	var v any = doc
	for _, key := range strings.Split(path, "/") {
		m, ok := v.(map[string]any)
		key = strings.NewReplacer("~1", "/", "~0", "~").Replace(key)
		if !ok || m[key] == nil {
			return nil, fmt.Errorf("no %q", key)
		}
		v = m[key]
	}
	return v, nil
}

// walkRefs calls f with every $ref in v.
func walkRefs(v any, f func(string)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if s, ok := x.(string); ok && k == "$ref" {
				f(s)
			}
			walkRefs(x, f)
		}
	case []any:
		for _, x := range slices.Clone(v) {
			walkRefs(x, f)
		}
	}
}

// TestOpenAPIBoundsEveryListOfARequest fails when a list or a map of a
// request body has no documented limit: each is bounded in
// decision/limits.go and stated by openapi_limits.go.
func TestOpenAPIBoundsEveryListOfARequest(t *testing.T) {
	schemas := openAPIDoc(t)["components"].(map[string]any)["schemas"].(map[string]any)
	lists := 0
	for name, s := range schemas {
		if !strings.HasSuffix(name, "Request") && !strings.HasSuffix(name, "Input") {
			continue
		}
		props, _ := s.(map[string]any)["properties"].(map[string]any)
		for prop, p := range props {
			p, ok := p.(map[string]any)
			if !ok {
				continue // any JSON value: a raw input or output, bounded in bytes
			}
			_, isMap := p["additionalProperties"].(map[string]any)
			switch {
			case p["type"] == "array" && p["maxItems"] == nil:
				t.Errorf("%s.%s is a list without maxItems", name, prop)
			case p["type"] == "object" && isMap && p["maxProperties"] == nil:
				t.Errorf("%s.%s is a map without maxProperties", name, prop)
			case p["type"] == "array" || isMap:
				lists++
			}
		}
	}
	if lists < 6 {
		t.Errorf("found %d bounded lists and maps in the requests; the document lost some", lists)
	}
	problem := schemas["Problem"].(map[string]any)["properties"].(map[string]any)
	if problem["errors"].(map[string]any)["maxItems"] != float64(maxProblemErrors) {
		t.Errorf("Problem.errors: %v, want maxItems %d", problem["errors"], maxProblemErrors)
	}
}
