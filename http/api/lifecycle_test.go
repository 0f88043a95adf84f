package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"hive/actors/timers"
	"hive/events"
	"hive/http/api"
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
	before := s.head(t)
	for _, path := range []string{
		"/v1/agents/6d1f2c4e-8a57-4c1b-9a3e-2f0b7d5c9e41/heartbeat", // never registered
		"/v1/agents/not-a-uuid/heartbeat",
	} {
		assertProblem(t, s.do(t, http.MethodPost, path, "", nil), http.StatusNotFound, "")
	}
	assertProblem(t, s.do(t, http.MethodDelete, "/v1/agents/6d1f2c4e-8a57-4c1b-9a3e-2f0b7d5c9e41", "", nil), http.StatusNotFound, "")
	if h := s.head(t); h != before {
		t.Fatalf("commands to unknown agents appended: head %d, was %d", h, before)
	}
}

func TestSilentAgentIsLostThenRecovers(t *testing.T) {
	s := startStackWith(t, t.TempDir(), api.Config{HeartbeatTimeout: 100 * time.Millisecond})
	id := s.post(t, "/v1/agents", map[string]any{"name": "quiet"}).body["id"].(string)
	eventually(t, "the silent agent is lost", func() bool { return s.get(t, "/v1/agents/"+id).body["status"] == "lost" })
	if r := s.do(t, http.MethodPost, "/v1/agents/"+id+"/heartbeat", "", nil); r.status != http.StatusOK || r.body["status"] != "idle" {
		t.Fatalf("heartbeat of a lost agent = %d %s, want 200 and idle", r.status, r.raw)
	}
	all, err := s.store.ReadStream(context.Background(), "agent-"+id, 1, events.Forward, 10)
	if err != nil {
		t.Fatal(err)
	}
	types := make([]string, len(all))
	for i, e := range all {
		types[i] = e.Type
	}
	want := []string{"hive.v1.AgentRegistered", "hive.v1.AgentLost", "hive.v1.AgentRecovered"}
	if !slices.Equal(types, want) {
		t.Fatalf("agent's events %v, want %v", types, want)
	}
	if all[1].Principal != timers.Principal {
		t.Errorf("AgentLost recorded as issued by %q, want %q", all[1].Principal, timers.Principal)
	}
}

func TestAgentOverdueAcrossARestartIsLost(t *testing.T) {
	dir := t.TempDir()
	s := startStackWith(t, dir, api.Config{HeartbeatTimeout: 200 * time.Millisecond})
	id := s.post(t, "/v1/agents", map[string]any{"name": "left-behind"}).body["id"].(string)
	s.stop()
	time.Sleep(250 * time.Millisecond) // the deadline passes while no server runs
	s = startStackWith(t, dir, api.Config{HeartbeatTimeout: 200 * time.Millisecond})
	eventually(t, "the agent overdue at start-up is lost", func() bool { return s.get(t, "/v1/agents/"+id).body["status"] == "lost" })
}
