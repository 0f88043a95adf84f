package main

import (
	"net/http"
	"testing"
	"time"
)

// streamEnds waits for the server to end a stream, failing the test if it
// sends an event named refused first or is still open after 10 s.
func streamEnds(t *testing.T, events <-chan sseEvent, what, refused string) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		select {
		case e, ok := <-events:
			if !ok {
				return
			}
			if e.name == refused {
				t.Fatalf("%s sent %s %s after its token ended", what, e.name, e.data)
			}
		case <-deadline:
			t.Fatalf("%s still open 10 s after its token ended", what)
		}
	}
}

// pollAs starts a long poll of the agent's assignments as s and returns
// the channel its status arrives on.
func pollAs(s *sim, agentID string) <-chan int {
	answer := make(chan int, 1)
	go func() {
		code, _ := s.call(http.MethodGet, "/v1/agents/"+agentID+"/assignments?wait=60s", nil, nil)
		answer <- code
	}()
	return answer
}

// answered waits for a long poll's status, failing the test unless it is
// want within 10 s.
func answered(t *testing.T, answer <-chan int, want int) {
	t.Helper()
	select {
	case code := <-answer:
		if code != want {
			t.Fatalf("the long poll answered %d, want %d", code, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the long poll is still waiting 10 s after its token ended")
	}
}

func TestRevocationEndsOpenRequests(t *testing.T) {
	s := startInProcess(t, time.Minute)
	swarmID, id := member(t, s, newAPIClient(t, s), "revoked", "code")
	var agentTok, viewerTok struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	s.must(t, http.MethodPost, "/v1/tokens", map[string]any{"role": "agent", "agent_id": id}, &agentTok)
	s.must(t, http.MethodPost, "/v1/tokens", map[string]any{"role": "viewer"}, &viewerTok)
	asAgent, asViewer := s.as(agentTok.Token), s.as(viewerTok.Token)
	poll := pollAs(asAgent, id)
	_, stream := openStream(t, asAgent, "/v1/agents/"+id+"/assignments/stream", "")
	_, live := openLive(t, asViewer, "agents,swarms", "")
	if e := nextLive(t, live); e.name != "hello" {
		t.Fatalf("live stream began with %q", e.name)
	}
	s.must(t, http.MethodDelete, "/v1/tokens/"+agentTok.ID+"?reason=leaked", nil, nil)
	s.must(t, http.MethodDelete, "/v1/tokens/"+viewerTok.ID+"?reason=leaked", nil, nil)
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/tasks", map[string]any{"capability": "code", "input": "secret plans"}, nil)
	streamEnds(t, stream, "the assignment stream", "assignment")
	streamEnds(t, live, "the live stream", "")
	answered(t, poll, http.StatusUnauthorized)
}

func TestDeregisteringEndsTheAgentsTokens(t *testing.T) {
	s := startInProcess(t, time.Minute)
	c := newAPIClient(t, s)
	swarmID, id := member(t, s, c, "reborn", "code")
	var old struct {
		ID    string `json:"id"`
		Token string `json:"token"`
	}
	s.must(t, http.MethodPost, "/v1/tokens", map[string]any{"role": "agent", "agent_id": id}, &old)
	asOld := s.as(old.Token)
	asOld.must(t, http.MethodPost, "/v1/agents/"+id+"/heartbeat", nil, nil)
	_, stream := openStream(t, asOld, "/v1/agents/"+id+"/assignments/stream", "")

	s.must(t, http.MethodDelete, "/v1/agents/"+id+"?reason=retired", nil, nil)
	streamEnds(t, stream, "the old registration's assignment stream", "assignment")
	s.problem(t, http.MethodPost, "/v1/tokens", map[string]any{"role": "agent", "agent_id": id}, http.StatusUnprocessableEntity, "agent_id")
	if id2 := registerAgent(t, s, "reborn", "code"); id2 != id {
		t.Fatalf("the name registered again is agent %s, want %s", id2, id)
	}
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/members", map[string]any{"agent_id": id}, nil)
	s.must(t, http.MethodPost, "/v1/swarms/"+swarmID+"/tasks", map[string]any{"capability": "code", "input": "for the new registration"}, nil)
	asOld.problem(t, http.MethodPost, "/v1/agents/"+id+"/heartbeat", nil, http.StatusUnauthorized, "")
	asOld.problem(t, http.MethodGet, "/v1/agents/"+id+"/assignments", nil, http.StatusUnauthorized, "")
	var list struct {
		Tokens []struct {
			ID      string `json:"id"`
			Revoked bool   `json:"revoked"`
			Reason  string `json:"reason"`
		} `json:"tokens"`
	}
	s.must(t, http.MethodGet, "/v1/tokens", nil, &list)
	for _, tok := range list.Tokens {
		if tok.ID == old.ID && (!tok.Revoked || tok.Reason != "agent deregistered") {
			t.Errorf("the old registration's token is listed as %+v, want revoked because its agent was deregistered", tok)
		}
	}
	fresh := s.as(newToken(t, s, map[string]any{"role": "agent", "agent_id": id}))
	fresh.must(t, http.MethodPost, "/v1/agents/"+id+"/heartbeat", nil, nil)
}
