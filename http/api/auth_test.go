package api_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"hive/actors/token"
	"hive/http/api"
)

// asToken sends a request with bearer as its token and a JSON body (if not nil).
func (s *stack) asToken(tb testing.TB, bearer, method, path string, body any) response {
	tb.Helper()
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			tb.Fatal(err)
		}
	}
	return s.doAs(tb, bearer, method, path, "application/json", raw)
}

// assertRefused checks that r is a problem of status whose detail holds want.
func assertRefused(t *testing.T, r response, status int, want string) {
	t.Helper()
	assertProblem(t, r, status, "")
	if detail, _ := r.body["detail"].(string); !strings.Contains(detail, want) {
		t.Errorf("detail %q lacks %q", detail, want)
	}
}

func TestRequestsWithoutAValidTokenAre401(t *testing.T) {
	s := startStack(t, t.TempDir())
	revoked := s.mint(token.RoleAdmin, "")
	r := s.asToken(t, revoked, http.MethodGet, "/v1/tokens", nil)
	if r.status != http.StatusOK {
		t.Fatalf("list tokens = %d %s", r.status, r.raw)
	}
	id := r.body["tokens"].([]any)[1].(map[string]any)["id"].(string)
	if r := s.asToken(t, s.admin, http.MethodDelete, "/v1/tokens/"+id+"?reason=test", nil); r.status != http.StatusOK || r.body["revoked"] != true {
		t.Fatalf("revoke = %d %s", r.status, r.raw)
	}
	valid := s.mint(token.RoleViewer, "")
	forged := valid[:len(valid)-4] + "AAAA"
	for name, bearer := range map[string]string{"no token": "", "not a Hive token": "secret", "a forged secret": forged, "a revoked token": revoked} {
		t.Run(name, func(t *testing.T) {
			r := s.asToken(t, bearer, http.MethodGet, "/v1/agents", nil)
			assertProblem(t, r, http.StatusUnauthorized, "")
			if r.body["type"] != "urn:hive:problem:unauthenticated" || r.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 = %s, WWW-Authenticate %q", r.raw, r.header.Get("WWW-Authenticate"))
			}
		})
	}
	if r := s.doAs(t, "", http.MethodGet, "/v1/agents", "", nil); r.status != http.StatusUnauthorized {
		t.Fatalf("no Authorization = %d", r.status)
	}
}

func TestRoleBoundaries(t *testing.T) {
	s := startStack(t, t.TempDir())
	me := s.post(t, "/v1/agents", map[string]any{"name": "me"}).body["id"].(string)
	other := s.post(t, "/v1/agents", map[string]any{"name": "other"}).body["id"].(string)
	viewer, operator, agent := s.mint(token.RoleViewer, ""), s.mint(token.RoleOperator, ""), s.mint(token.RoleAgent, me)
	tests := []struct {
		name         string
		bearer       string
		method, path string
		body         any
		status       int
		need         string // the roles a 403 names
	}{
		{"a viewer reads", viewer, http.MethodGet, "/v1/agents/" + other, nil, http.StatusOK, ""},
		{"a viewer cannot command", viewer, http.MethodPost, "/v1/agents", map[string]any{"name": "x"}, http.StatusForbidden, "operator or admin"},
		{"a viewer cannot heartbeat", viewer, http.MethodPost, "/v1/agents/" + me + "/heartbeat", nil, http.StatusForbidden, "agent or admin"},
		{"an operator registers", operator, http.MethodPost, "/v1/agents", map[string]any{"name": "x"}, http.StatusCreated, ""},
		{"an operator drains", operator, http.MethodPost, "/v1/agents/" + other + "/drain", nil, http.StatusOK, ""},
		{"an operator cannot list tokens", operator, http.MethodGet, "/v1/tokens", nil, http.StatusForbidden, "admin"},
		{"an operator cannot create tokens", operator, http.MethodPost, "/v1/tokens", map[string]any{"role": "admin"}, http.StatusForbidden, "admin"},
		{"an operator cannot revoke tokens", operator, http.MethodDelete, "/v1/tokens/" + me, nil, http.StatusForbidden, "admin"},
		{"an agent heartbeats as itself", agent, http.MethodPost, "/v1/agents/" + me + "/heartbeat", nil, http.StatusOK, ""},
		{"an agent reads itself", agent, http.MethodGet, "/v1/agents/" + me, nil, http.StatusOK, ""},
		{"an agent reads its tasks", agent, http.MethodGet, "/v1/agents/" + me + "/tasks", nil, http.StatusOK, ""},
		{"an agent cannot heartbeat as another", agent, http.MethodPost, "/v1/agents/" + other + "/heartbeat", nil, http.StatusForbidden, "its own agent " + me},
		{"an agent cannot read another", agent, http.MethodGet, "/v1/agents/" + other, nil, http.StatusForbidden, ""},
		{"an agent cannot list agents", agent, http.MethodGet, "/v1/agents", nil, http.StatusForbidden, "operator, viewer or admin"},
		{"an agent cannot deregister itself", agent, http.MethodDelete, "/v1/agents/" + me, nil, http.StatusForbidden, "operator or admin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := s.asToken(t, tc.bearer, tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, r.status, r.raw, tc.status)
			}
			if tc.status != http.StatusForbidden {
				return
			}
			assertRefused(t, r, http.StatusForbidden, tc.need)
			if r.body["type"] != "urn:hive:problem:forbidden" || r.body["required_roles"] == nil {
				t.Errorf("403 = %s", r.raw)
			}
		})
	}
}

func TestTokensThroughTheAPI(t *testing.T) {
	s := startStack(t, t.TempDir())
	ag := s.post(t, "/v1/agents", map[string]any{"name": "worker"}).body["id"].(string)
	assertProblem(t, s.post(t, "/v1/tokens", map[string]any{"role": "agent"}), http.StatusUnprocessableEntity, "agent_id")
	assertProblem(t, s.post(t, "/v1/tokens", map[string]any{"role": "agent", "agent_id": "6d1f2c4e-8a57-4c1b-9a3e-2f0b7d5c9e41"}), http.StatusUnprocessableEntity, "agent_id")
	assertProblem(t, s.post(t, "/v1/tokens", map[string]any{"role": "root"}), http.StatusUnprocessableEntity, "role")
	if r := s.post(t, "/v1/tokens", map[string]any{"role": "viewer"}); r.status != http.StatusCreated {
		t.Fatalf("create = %d %s", r.status, r.raw)
	}

	created := s.post(t, "/v1/tokens", map[string]any{"role": "agent", "agent_id": ag, "name": "worker's"})
	bearer, _ := created.body["token"].(string)
	if created.status != http.StatusCreated || !strings.HasPrefix(bearer, "hive_") || created.body["agent_id"] != ag || created.header.Get("Location") == "" {
		t.Fatalf("create = %d %s", created.status, created.raw)
	}
	if r := s.asToken(t, bearer, http.MethodPost, "/v1/agents/"+ag+"/heartbeat", nil); r.status != http.StatusOK {
		t.Fatalf("the new token, at once: %d %s", r.status, r.raw)
	}
	list := s.get(t, "/v1/tokens")
	if list.status != http.StatusOK || len(list.body["tokens"].([]any)) != 3 || strings.Contains(string(list.raw), bearer[len(bearer)-20:]) ||
		strings.Contains(string(list.raw), "hash") {
		t.Fatalf("list = %d %s", list.status, list.raw)
	}
	id := created.body["id"].(string)
	if r := s.do(t, http.MethodDelete, "/v1/tokens/"+id, "", nil); r.status != http.StatusOK {
		t.Fatalf("revoke = %d %s", r.status, r.raw)
	}
	// Revocation is in effect when it is answered.
	assertRefused(t, s.asToken(t, bearer, http.MethodPost, "/v1/agents/"+ag+"/heartbeat", nil), http.StatusUnauthorized, "revoked")
	if r := s.do(t, http.MethodDelete, "/v1/tokens/"+id, "", nil); r.status != http.StatusOK {
		t.Fatalf("revoke again = %d %s", r.status, r.raw)
	}
	assertProblem(t, s.do(t, http.MethodDelete, "/v1/tokens/01936a2e-7b1c-7def-8a00-000000000001", "", nil), http.StatusNotFound, "")
}

func TestRateLimitPerToken(t *testing.T) {
	s := startStackWith(t, t.TempDir(), api.Config{Auth: api.AuthConfig{RateLimit: 0.5, RateBurst: 2}})
	other := s.mint(token.RoleViewer, "")
	for i := range 2 {
		if r := s.get(t, "/v1/agents"); r.status != http.StatusOK {
			t.Fatalf("request %d within the burst: %d", i+1, r.status)
		}
	}
	r := s.get(t, "/v1/agents")
	assertProblem(t, r, http.StatusTooManyRequests, "")
	if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 || n > 2 {
		t.Fatalf("Retry-After = %q, want 1 or 2 seconds", r.header.Get("Retry-After"))
	}
	if r := s.asToken(t, other, http.MethodGet, "/v1/agents", nil); r.status != http.StatusOK {
		t.Fatalf("another token: %d", r.status)
	}
}

func TestOperationalEndpointsNeedNoToken(t *testing.T) {
	for _, guarded := range []bool{false, true} {
		t.Run("metrics auth "+strconv.FormatBool(guarded), func(t *testing.T) {
			s := startStackWith(t, t.TempDir(), api.Config{Auth: api.AuthConfig{Metrics: guarded}})
			eventually(t, "ready", func() bool { return s.doAs(t, "", http.MethodGet, "/readyz", "", nil).status == http.StatusOK })
			if r := s.doAs(t, "", http.MethodGet, "/healthz", "", nil); r.status != http.StatusOK {
				t.Fatalf("healthz = %d", r.status)
			}
			want := http.StatusOK
			if guarded {
				want = http.StatusUnauthorized
			}
			if r := s.doAs(t, "", http.MethodGet, "/metrics", "", nil); r.status != want {
				t.Fatalf("metrics without a token = %d, want %d", r.status, want)
			}
			if r := s.asToken(t, s.mint(token.RoleViewer, ""), http.MethodGet, "/metrics", nil); r.status != http.StatusOK {
				t.Fatalf("metrics with a viewer token = %d", r.status)
			}
		})
	}
}

func TestFailedAuthenticationsAreLimitedPerClientAddress(t *testing.T) {
	s := startStackWith(t, t.TempDir(), api.Config{Auth: api.AuthConfig{FailureLimit: 0.5, FailureBurst: 3}})
	for i := range 10 {
		if r := s.get(t, "/v1/agents"); r.status != http.StatusOK {
			t.Fatalf("authenticated request %d: %d: only failures count", i+1, r.status)
		}
	}
	for i := range 3 {
		if r := s.asToken(t, "hive_guess", http.MethodGet, "/v1/agents", nil); r.status != http.StatusUnauthorized {
			t.Fatalf("failure %d within the burst: %d %s", i+1, r.status, r.raw)
		}
	}
	for name, bearer := range map[string]string{"a bad token": "hive_guess", "no token": "", "a valid token": s.admin} {
		r := s.asToken(t, bearer, http.MethodGet, "/v1/agents", nil)
		assertRefused(t, r, http.StatusTooManyRequests, "failed authentication")
		if n, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || n < 1 || n > 2 {
			t.Fatalf("%s: Retry-After = %q, want 1 or 2 seconds", name, r.header.Get("Retry-After"))
		}
	}
	if r := s.doAs(t, "", http.MethodGet, "/healthz", "", nil); r.status != http.StatusOK {
		t.Fatalf("/healthz from a limited address = %d", r.status)
	}
}
