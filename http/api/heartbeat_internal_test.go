package api

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"hive/actors"
	"hive/actors/agent"
	"hive/projections"
)

// recordingCommands answers every command with an empty result and
// keeps the commands it was sent.
type recordingCommands struct{ sent []actors.Command }

func (r *recordingCommands) Ask(_ context.Context, _ actors.Ref, cmd actors.Command) (actors.Result, error) {
	r.sent = append(r.sent, cmd)
	return actors.Result{}, nil
}

// The heartbeats a request sends on its agent's behalf do not look at the
// agent's state: they must not ask the agent's actor for a copy of it,
// which for an agent with many tasks in flight is large.
func TestHeartbeatsOnARequestsBehalfAskForNoState(t *testing.T) {
	rec := &recordingCommands{}
	s := &Server{commands: rec, agents: livenessOnly{}, logger: slog.New(slog.DiscardHandler), cfg: Config{HeartbeatTimeout: time.Minute}}
	c, _ := gin.CreateTestContext(httptest.NewRecorder())
	c.Request = httptest.NewRequest("POST", "/v1/tasks/t/complete", nil)
	id := uuid.NewString()
	s.beatQuietly(c, id)
	if !s.beat(c, id) {
		t.Fatal("beat refused")
	}
	if len(rec.sent) != 2 {
		t.Fatalf("%d commands sent, want 2 heartbeats", len(rec.sent))
	}
	for i, cmd := range rec.sent {
		if _, ok := cmd.Body.(agent.Heartbeat); !ok || !cmd.SkipState {
			t.Errorf("command %d: %T with SkipState %v, want a heartbeat asking for no state", i, cmd.Body, cmd.SkipState)
		}
	}
}

// livenessOnly is an agents read model that knows only the agents'
// liveness, by id.
type livenessOnly map[string]struct {
	deadline time.Time
	lost     bool
}

func (l livenessOnly) Liveness(id string) (time.Time, bool, bool) {
	a, ok := l[id]
	return a.deadline, a.lost, ok
}

func (livenessOnly) Get(string) (projections.Agent, bool) { return projections.Agent{}, false }
func (livenessOnly) Page(int, int, func(*projections.Agent) bool) ([]projections.Agent, int) {
	return nil, 0
}
func (livenessOnly) Counts() (int, map[string]int, uint64) { return 0, nil, 0 }

// A request's implicit heartbeat is sent only when it would change
// something as far as the agents read model knows: the agent's actor
// would decide nothing for an agent heard from recently.
func TestImplicitHeartbeatsOnlyWhenTheyChangeSomething(t *testing.T) {
	const timeout = time.Minute
	now := time.Now()
	for _, c := range []struct {
		name  string
		known bool
		dl    time.Time
		lost  bool
		sent  bool
	}{
		{"heard from recently", true, now.Add(50 * time.Second), false, false},
		{"deadline near", true, now.Add(10 * time.Second), false, true},
		{"lost", true, now.Add(-time.Second), true, true},
		{"not in the read model yet", false, time.Time{}, false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			id := uuid.NewString()
			agents := livenessOnly{}
			if c.known {
				agents[id] = struct {
					deadline time.Time
					lost     bool
				}{c.dl, c.lost}
			}
			rec := &recordingCommands{}
			s := &Server{commands: rec, agents: agents, logger: slog.New(slog.DiscardHandler), cfg: Config{HeartbeatTimeout: timeout}}
			c2, _ := gin.CreateTestContext(httptest.NewRecorder())
			c2.Request = httptest.NewRequest("POST", "/v1/tasks/t/complete", nil)
			s.beatQuietly(c2, id)
			if sent := len(rec.sent) == 1; sent != c.sent {
				t.Fatalf("heartbeat sent: %v, want %v", sent, c.sent)
			}
		})
	}
}
