package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"hive/actors/decision"
)

// TestErrorBodiesAreBounded sends requests of up to the body limit that are
// wrong in many places, or that carry long wrong values, and wants
// answers that stay small: at most 100 field errors, with errors_omitted
// counting the rest, and no long value repeated.
func TestErrorBodiesAreBounded(t *testing.T) {
	s := startStack(t, t.TempDir())
	long := func(i int) string { return fmt.Sprintf("%d %s", i, strings.Repeat("x", 15_000)) }
	longCapabilities := make([]string, decision.MaxCapabilities)
	for i := range longCapabilities {
		longCapabilities[i] = long(i)
	}
	tests := []struct {
		name   string
		body   string
		status int
		errors int
		// omitted is how many errors the body leaves out.
		omitted int
	}{
		{
			name:   "many invalid fields",
			body:   mustJSON(t, map[string]any{"name": "x", "capabilities": slices.Repeat([]string{"a b"}, decision.MaxCapabilities)}),
			status: http.StatusUnprocessableEntity, errors: 100, omitted: 2*decision.MaxCapabilities - 1 - 100,
		},
		{
			name:   "long invalid values",
			body:   mustJSON(t, map[string]any{"name": "x", "capabilities": longCapabilities}),
			status: http.StatusUnprocessableEntity, errors: decision.MaxCapabilities,
		},
		{
			name:   "a long unknown field",
			body:   `{"` + strings.Repeat("f", 900_000) + `": 1}`,
			status: http.StatusBadRequest, errors: 1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(t, http.MethodPost, "/v1/agents", "application/json", []byte(tc.body))
			assertProblem(t, r, tc.status, "")
			errs, _ := r.body["errors"].([]any)
			omitted, _ := r.body["errors_omitted"].(float64)
			if len(errs) != tc.errors || int(omitted) != tc.omitted {
				t.Errorf("%d errors, %v omitted; want %d and %d", len(errs), omitted, tc.errors, tc.omitted)
			}
			if len(r.raw) > 32<<10 {
				t.Errorf("a %d-byte request answered %d bytes: %.300s", len(tc.body), len(r.raw), r.raw)
			}
		})
	}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}
