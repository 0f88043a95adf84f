package actors

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/prometheus/client_golang/prometheus"
)

// supervisor is the parent of every entity actor of one kind. It routes
// requests to the entity's actor by id, spawning it on first use, and on
// each sweep stops (passivates) the actors that received no request for the
// idle timeout. Requests for an entity whose actor is stopping wait here
// until it has stopped, then go to a fresh actor, so that no request is
// lost to a dying mailbox.
type supervisor struct {
	kind   Kind
	store  EventStore
	cfg    Config
	logger *slog.Logger
	live   prometheus.Gauge
	// dispatcher runs the entity actors' mailboxes.
	dispatcher actor.Dispatcher
	children   map[string]*actor.PID
	lastUsed   map[string]time.Time
	ids        map[string]string // child pid id -> entity id
	stopping   map[string][]*request
}

func newSupervisor(k Kind, store EventStore, cfg Config, logger *slog.Logger, live prometheus.Gauge, d actor.Dispatcher) *supervisor {
	return &supervisor{
		dispatcher: d,
		kind:       k,
		store:      store,
		cfg:        cfg,
		logger:     logger,
		live:       live,
		children:   make(map[string]*actor.PID),
		lastUsed:   make(map[string]time.Time),
		ids:        make(map[string]string),
		stopping:   make(map[string][]*request),
	}
}

// Receive implements actor.Actor.
func (s *supervisor) Receive(c actor.Context) {
	switch m := c.Message().(type) {
	case *request:
		s.route(c, m)
	case *sweep:
		s.passivateIdle(c, m.now)
	case *rest:
		if id, ok := s.ids[m.who.Id]; ok {
			if pid, ok := s.children[id]; ok && pid.Equal(m.who) {
				s.passivate(c, id, pid)
			}
		}
	case *actor.Terminated:
		s.terminated(c, m.Who)
	}
}

func (s *supervisor) route(c actor.Context, r *request) {
	if waiting, ok := s.stopping[r.id]; ok {
		s.stopping[r.id] = append(waiting, r)
		return
	}
	pid, err := s.child(c, r.id)
	if err != nil {
		r.answer(&reply{err: err})
		return
	}
	s.lastUsed[r.id] = time.Now()
	c.Forward(pid)
}

// passivateIdle stops the actors idle since before now - IdleTimeout.
func (s *supervisor) passivateIdle(c actor.Context, now time.Time) {
	for id, used := range s.lastUsed {
		if now.Sub(used) < s.cfg.IdleTimeout {
			continue
		}
		if pid, ok := s.children[id]; ok {
			s.passivate(c, id, pid)
		}
		delete(s.lastUsed, id)
	}
}

// passivate stops the actor pid of entity id. A poison pill is queued
// behind any request already forwarded, so those are still answered;
// requests for id wait until it has stopped, then go to a fresh actor.
func (s *supervisor) passivate(c actor.Context, id string, pid *actor.PID) {
	delete(s.lastUsed, id)
	delete(s.children, id)
	s.stopping[id] = nil
	c.Poison(pid)
}

func (s *supervisor) child(c actor.Context, id string) (*actor.PID, error) {
	if pid, ok := s.children[id]; ok {
		return pid, nil
	}
	ref := Ref{Kind: s.kind.Name, ID: id}
	props := actor.PropsFromProducer(func() actor.Actor {
		return newEntityActor(ref, s.kind.New, s.store, s.cfg, s.logger)
	}, actor.WithDispatcher(s.dispatcher))
	pid, err := c.SpawnNamed(props, id)
	if err != nil {
		return nil, fmt.Errorf("%w: spawn %s/%s: %w", ErrUnavailable, s.kind.Name, id, err)
	}
	s.children[id] = pid
	s.ids[pid.Id] = id
	s.live.Inc()
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
	s.live.Dec()
	if pid, ok := s.children[id]; ok && pid.Equal(who) {
		delete(s.children, id)
		delete(s.lastUsed, id)
	}
	waiting, ok := s.stopping[id]
	if !ok {
		return
	}
	delete(s.stopping, id)
	for _, r := range waiting {
		pid, err := s.child(c, id)
		if err != nil {
			r.answer(&reply{err: err})
			continue
		}
		s.lastUsed[id] = time.Now() // the fresh actor is passivated in its turn
		c.Send(pid, r)
	}
}
