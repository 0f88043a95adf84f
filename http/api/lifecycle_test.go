package api_test

import (
	"net/http"
	"testing"
)

func TestAgentLifecycleOverHTTP(t *testing.T) {
	s := startStack(t, t.TempDir())
	created := s.post(t, "/v1/agents", map[string]any{"name": "worker-7", "capabilities": []string{"code"}})
	if created.status != http.StatusCreated || created.body["deadline"] == "" {
		t.Fatalf("POST = %d %s", created.status, created.raw)
	}
	id := created.body["id"].(string)
	steps := []struct {
		name   string
		method string
		path   string
		body   string
		status int
		want   string // the agent's status afterwards, as GET shows it
	}{
		{"heartbeat", http.MethodPost, "/v1/agents/" + id + "/heartbeat", "", http.StatusOK, "idle"},
		{"drain", http.MethodPost, "/v1/agents/" + id + "/drain", `{"reason":"upgrade"}`, http.StatusOK, "draining"},
		{"drain again", http.MethodPost, "/v1/agents/" + id + "/drain", "", http.StatusOK, "draining"},
		{"drain with an unknown field", http.MethodPost, "/v1/agents/" + id + "/drain", `{"why":"x"}`, http.StatusBadRequest, "draining"},
		{"deregister", http.MethodDelete, "/v1/agents/" + id + "?reason=retired", "", http.StatusOK, "gone"},
		{"heartbeat after deregistering", http.MethodPost, "/v1/agents/" + id + "/heartbeat", "", http.StatusConflict, "gone"},
	}
	for _, st := range steps {
		r := s.do(t, st.method, st.path, "application/json", []byte(st.body))
		if r.status != st.status {
			t.Fatalf("%s: %d %s, want %d", st.name, r.status, r.raw, st.status)
		}
		if got := s.get(t, "/v1/agents/"+id); got.body["status"] != st.want {
			t.Fatalf("after %s: status %v, want %s", st.name, got.body["status"], st.want)
		}
	}
	again := s.post(t, "/v1/agents", map[string]any{"name": "worker-7"})
	if again.status != http.StatusCreated || again.body["id"] != id || again.body["status"] != "idle" {
		t.Fatalf("registering a deregistered name again = %d %s", again.status, again.raw)
	}
}

func TestLifecycleOfUnknownAgents(t *testing.T) {
	s := startStack(t, t.TempDir())
	for _, path := range []string{
		"/v1/agents/6d1f2c4e-8a57-4c1b-9a3e-2f0b7d5c9e41/heartbeat", // never registered
		"/v1/agents/not-a-uuid/heartbeat",
	} {
		assertProblem(t, s.do(t, http.MethodPost, path, "", nil), http.StatusNotFound, "")
	}
	assertProblem(t, s.do(t, http.MethodDelete, "/v1/agents/6d1f2c4e-8a57-4c1b-9a3e-2f0b7d5c9e41", "", nil), http.StatusNotFound, "")
	if h := s.head(t); h != 0 {
		t.Fatalf("commands to unknown agents appended: head %d", h)
	}
}
