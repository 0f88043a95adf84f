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
	s := &Server{commands: rec, logger: slog.New(slog.DiscardHandler), cfg: Config{HeartbeatTimeout: time.Minute}}
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
