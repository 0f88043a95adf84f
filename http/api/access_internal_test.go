package api

import (
	"log/slog"
	"slices"
	"strings"
	"testing"

	"hive/actors/token"
)

// TestEveryRouteHasAnAccessRule fails when a /v1 route is registered without
// an entry in access (it would be admin-only), when a rule names a route
// that does not exist, and when a rule lets agent tokens in without saying
// which agent they act as.
func TestEveryRouteHasAnAccessRule(t *testing.T) {
	s := &Server{logger: slog.New(slog.DiscardHandler)}
	routes := map[string]bool{}
	for _, r := range s.routes().Routes() {
		if !strings.HasPrefix(r.Path, "/v1/") {
			continue
		}
		route := r.Method + " " + r.Path
		routes[route] = true
		if _, ok := access[route]; !ok {
			t.Errorf("%s has no access rule in access.go", route)
		}
	}
	for route, r := range access {
		if !routes[route] {
			t.Errorf("access.go has a rule for %s, which is not a route", route)
		}
		if slices.Contains(r.roles, token.RoleAgent) && r.agent == nowhere {
			t.Errorf("%s lets agent tokens in without saying where their agent is named", route)
		}
		if r.agent == inPath && !strings.HasPrefix(route[strings.IndexByte(route, ' ')+1:], "/v1/agents/:id") {
			t.Errorf("%s: an agent in the path must be /v1/agents/:id", route)
		}
	}
}
