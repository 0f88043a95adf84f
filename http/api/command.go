package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"hive/actors"
)

// send sends body to the entity ref as a command of this request and, when
// the entity accepts it, answers status with the entity's state, after the
// read models reflect it. It reports whether the command was accepted.
func (s *Server) send(c *gin.Context, ref actors.Ref, body actors.Body, status int) (actors.Result, bool) {
	res, ok := s.sendQuiet(c, ref, body)
	if !ok {
		return res, false
	}
	s.awaitReadModels(c, res.LastPosition)
	writeResult(c, status, res.State, res.LastPosition)
	return res, true
}

// sendQuiet sends body to the entity ref as a command of this request. It
// answers only a failure, and sets the position header on success.
func (s *Server) sendQuiet(c *gin.Context, ref actors.Ref, body actors.Body) (actors.Result, bool) {
	return s.ask(c, ref, body, false)
}

// sendNoState is sendQuiet for commands whose answer does not show the
// entity's state: the entity does not copy its view (which for a swarm with
// many tasks is large).
func (s *Server) sendNoState(c *gin.Context, ref actors.Ref, body actors.Body) (actors.Result, bool) {
	return s.ask(c, ref, body, true)
}

func (s *Server) ask(c *gin.Context, ref actors.Ref, body actors.Body, skipState bool) (actors.Result, bool) {
	if err := validate(body); err != nil {
		s.fail(c, err)
		return actors.Result{}, false
	}
	cmd, err := newCommand(c, body)
	if err != nil {
		s.fail(c, err)
		return actors.Result{}, false
	}
	cmd.SkipState = skipState
	if cmd.IfVersion, err = ifVersion(c); err != nil {
		s.fail(c, err)
		return actors.Result{}, false
	}
	res, err := s.commands.Ask(c.Request.Context(), ref, cmd)
	if err != nil {
		s.fail(c, err)
		return actors.Result{}, false
	}
	c.Header(positionHeader, strconv.FormatUint(res.LastPosition, 10))
	setETag(c, res.LastVersion)
	return res, true
}

// validator is a command that can be checked on its own (see
// decision/limits.go).
type validator interface {
	Validate() error
}

// validate checks body, if it can be checked on its own, before it reaches
// the entity's actor: a command that is too large or malformed costs its
// own request, never the time of the entity's other commands. The entity
// checks it again, as it does the commands other entities send.
func validate(body actors.Body) error {
	if v, ok := body.(validator); ok {
		return v.Validate()
	}
	return nil
}

// inspect returns the state of the entity ref, answering 404 (naming what)
// and reporting false when it does not exist. Every entity id is a UUID: an
// id of another shape is answered without waking an actor.
func (s *Server) inspect(c *gin.Context, ref actors.Ref, what string) (actors.Result, bool) {
	if _, err := uuid.Parse(ref.ID); err != nil {
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no " + what + " with id " + strconv.Quote(ref.ID) + ": ids are UUIDs"})
		return actors.Result{}, false
	}
	res, err := s.commands.Ask(c.Request.Context(), ref, actors.Command{ID: "inspect", Principal: anonymous, Body: actors.Inspect{}})
	if err != nil {
		s.fail(c, err)
		return actors.Result{}, false
	}
	setETag(c, res.LastVersion)
	if res.LastVersion == 0 {
		c.Writer.Header().Del(etagHeader)
		writeProblem(c, Problem{Type: problemNotFound, Status: http.StatusNotFound, Detail: "no " + what + " with id " + strconv.Quote(ref.ID)})
		return actors.Result{}, false
	}
	return res, true
}

// awaitReactions waits, within ConsistencyWait, until the reactions to the
// event at pos were handled, so that a response can show their effect in
// other entities (e.g. a swarm's member list after an agent joined it).
func (s *Server) awaitReactions(c *gin.Context, pos uint64) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), s.cfg.ConsistencyWait)
	defer cancel()
	if err := s.reactions.WaitFor(ctx, pos); err != nil {
		s.logger.Warn("reactions behind a command's response", "position", pos, "err", err)
	}
}
