package actors

import (
	"fmt"
	"log/slog"

	"github.com/asynkron/protoactor-go/actor"
)

// supervisor is the parent of every entity actor of one kind. It routes
// requests to the entity's actor by id, spawning it on first use, and stops
// idle actors when they ask to passivate. Requests for an entity whose actor
// is stopping wait here until it has stopped, then go to a fresh actor, so
// that no request is lost to a dying mailbox.
type supervisor struct {
	kind     Kind
	store    EventStore
	cfg      Config
	logger   *slog.Logger
	children map[string]*actor.PID
	ids      map[string]string // child pid id -> entity id
	stopping map[string][]pendingRequest
}

type pendingRequest struct {
	req    *request
	sender *actor.PID
}

func newSupervisor(k Kind, store EventStore, cfg Config, logger *slog.Logger) *supervisor {
	return &supervisor{
		kind:     k,
		store:    store,
		cfg:      cfg,
		logger:   logger,
		children: make(map[string]*actor.PID),
		ids:      make(map[string]string),
		stopping: make(map[string][]pendingRequest),
	}
}

// Receive implements actor.Actor.
func (s *supervisor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *request:
		s.route(c, m)
	case *passivate:
		pid, ok := s.children[m.id]
		if !ok || !pid.Equal(c.Sender()) {
			return
		}
		delete(s.children, m.id)
		s.stopping[m.id] = nil
		c.Poison(pid)
	case *actor.Terminated:
		s.terminated(c, m.Who)
	}
}

func (s *supervisor) route(c actor.Context, r *request) {
	if waiting, ok := s.stopping[r.id]; ok {
		s.stopping[r.id] = append(waiting, pendingRequest{req: r, sender: c.Sender()})
		return
	}
	pid, err := s.child(c, r.id)
	if err != nil {
		c.Respond(&reply{err: err})
		return
	}
	c.Forward(pid)
}

func (s *supervisor) child(c actor.Context, id string) (*actor.PID, error) {
	if pid, ok := s.children[id]; ok {
		return pid, nil
	}
	ref := Ref{Kind: s.kind.Name, ID: id}
	props := actor.PropsFromProducer(func() actor.Actor {
		return newEntityActor(ref, s.kind.New, s.store, s.cfg, s.logger)
	})
	pid, err := c.SpawnNamed(props, id)
	if err != nil {
		return nil, fmt.Errorf("%w: spawn %s/%s: %w", ErrUnavailable, s.kind.Name, id, err)
	}
	s.children[id] = pid
	s.ids[pid.Id] = id
	return pid, nil
}

// terminated forgets a stopped entity actor and hands the requests that
// waited for it to a fresh one.
func (s *supervisor) terminated(c actor.Context, who *actor.PID) {
	id, ok := s.ids[who.Id]
	if !ok {
		return
	}
	delete(s.ids, who.Id)
	if pid, ok := s.children[id]; ok && pid.Equal(who) {
		delete(s.children, id)
	}
	waiting, ok := s.stopping[id]
	if !ok {
		return
	}
	delete(s.stopping, id)
	for _, p := range waiting {
		pid, err := s.child(c, id)
		if err != nil {
			c.Send(p.sender, &reply{err: err})
			continue
		}
		c.RequestWithCustomSender(pid, p.req, p.sender)
	}
}
